"""The device layer: receipt printers, scanners, cash drawers, customer displays, simulators.

Public API and usage: devices/README.md. Imports ``counter`` only; never Qt, SQLAlchemy,
``ui`` or ``db``. Device callbacks run on each device's worker thread.
"""
