"""Domain types of the inventory service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


class InventoryError(Exception):
    """Base class of the errors the inventory raises."""


class InsufficientStock(InventoryError):
    """A reservation asked for more units than are available."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(
            f"cannot reserve {requested} of {sku}: only {available} available"
        )
        self.sku = sku
        self.requested = requested
        self.available = available


class UnknownItem(InventoryError):
    """No item with that SKU exists."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown item {sku!r}")
        self.sku = sku


@dataclass(frozen=True)
class Item:
    """Something the warehouse stocks. Prices are in cents."""

    sku: str
    name: str
    unit_price_cents: int
    category: str = "general"

    def __post_init__(self) -> None:
        if not self.sku:
            raise ValueError("sku must not be empty")
        if self.unit_price_cents < 0:
            raise ValueError("unit_price_cents must not be negative")


@dataclass
class StockLevel:
    """How many units of an item are on hand and how many are reserved."""

    sku: str
    on_hand: int = 0
    reserved: int = 0
    updated_at: datetime = field(
        default_factory=lambda: datetime.now(timezone.utc)
    )

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def touch(self) -> None:
        self.updated_at = datetime.now(timezone.utc)
