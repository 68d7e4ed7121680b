"""The screens of the cash office and the cash drawer."""
