"""Counter's domain and application services.

This package holds the rules only. It imports nothing of ours, and none of PySide6,
SQLAlchemy, escpos, serial, reportlab or httpx (tests/test_layers.py keeps it so).
"""
