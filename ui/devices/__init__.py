"""The screens of printer, drawer, scanner and display wiring, print jobs, device settings."""
