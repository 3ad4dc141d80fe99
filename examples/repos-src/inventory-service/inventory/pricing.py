"""Price calculation. All amounts are integer cents; rounding is half-up."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.models import Item


@dataclass(frozen=True)
class Discount:
    """A percentage off, optionally limited to one category."""

    code: str
    percent: float
    category: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.percent <= 100:
            raise ValueError("percent must be between 0 and 100")

    def applies_to(self, item: Item) -> bool:
        return self.category is None or self.category == item.category


def _round_cents(value: float) -> int:
    return int(value + 0.5)


def line_total(item: Item, quantity: int) -> int:
    """Price of `quantity` units before discounts."""
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    return item.unit_price_cents * quantity


def apply_discount(amount_cents: int, percent: float) -> int:
    """`amount_cents` reduced by `percent` per cent, rounded half-up."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    return _round_cents(amount_cents * (100 - percent) / 100)


def price(item: Item, quantity: int, discounts: list[Discount] | None = None) -> int:
    """Price of a line after the best applicable discount (discounts do not stack)."""
    total = line_total(item, quantity)
    best = max(
        (d.percent for d in discounts or [] if d.applies_to(item)),
        default=0.0,
    )
    return apply_discount(total, best)


def add_tax(amount_cents: int, rate_percent: float) -> int:
    """`amount_cents` plus tax at `rate_percent`, rounded half-up."""
    if rate_percent < 0:
        raise ValueError("rate_percent must not be negative")
    return _round_cents(amount_cents * (100 + rate_percent) / 100)
