"""Inventory service: items, stock levels, pricing and a small HTTP API."""

from inventory.models import Item, StockLevel

__all__ = ["Item", "StockLevel"]
__version__ = "0.3.0"
