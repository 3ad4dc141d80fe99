import pytest

from inventory.models import Item
from inventory.pricing import Discount, add_tax, apply_discount, line_total, price

WIDGET = Item("W-1", "Widget", unit_price_cents=1999, category="hardware")


def test_line_total_multiplies_unit_price():
    assert line_total(WIDGET, 3) == 5997


def test_apply_discount_rounds_half_up():
    assert apply_discount(1999, 10) == 1799  # 1799.1
    assert apply_discount(5, 50) == 3  # 2.5 rounds up


def test_price_uses_best_applicable_discount_only():
    discounts = [
        Discount("ALL5", 5),
        Discount("HW15", 15, category="hardware"),
        Discount("FOOD50", 50, category="food"),
    ]
    assert price(WIDGET, 2, discounts) == apply_discount(3998, 15)


def test_discount_percent_must_be_in_range():
    with pytest.raises(ValueError):
        Discount("BAD", 120)


def test_add_tax():
    assert add_tax(1000, 8.25) == 1083  # 1082.5 rounds up
