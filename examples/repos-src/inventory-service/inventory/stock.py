"""Stock movements: reservations, releases, restocking and low-stock queries."""

from __future__ import annotations

from collections.abc import Iterable

from inventory.models import InsufficientStock, StockLevel


def reserve(level: StockLevel, quantity: int) -> StockLevel:
    """Reserve `quantity` units for an order. Raises InsufficientStock."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if quantity > level.available:
        raise InsufficientStock(level.sku, quantity, level.available)
    level.reserved += quantity
    level.touch()
    return level


def release(level: StockLevel, quantity: int) -> StockLevel:
    """Give back reserved units (an order was cancelled)."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    level.reserved = max(0, level.reserved - quantity)
    level.touch()
    return level


def ship(level: StockLevel, quantity: int) -> StockLevel:
    """Ship reserved units: they leave both the reservation and the shelf."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if quantity > level.reserved:
        raise ValueError(
            f"cannot ship {quantity} of {level.sku}: only {level.reserved} reserved"
        )
    level.reserved -= quantity
    level.on_hand -= quantity
    level.touch()
    return level


def restock(level: StockLevel, quantity: int) -> StockLevel:
    """Receive `quantity` units from a supplier."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    level.on_hand += quantity
    level.touch()
    return level


def low_stock(levels: Iterable[StockLevel], threshold: int) -> list[StockLevel]:
    """Levels whose available units are at or below `threshold`, lowest first."""
    if threshold < 0:
        raise ValueError("threshold must not be negative")
    found = [level for level in levels if level.available <= threshold]
    return sorted(found, key=lambda level: (level.available, level.sku))
