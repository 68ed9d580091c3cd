"""Gate recognition for customs-supervised warehouses.

Reads Vietnamese licence plates and ISO 6346 container numbers from gate
camera frames and fuses them into gate events.
"""

__version__ = "0.1.0"
