import pytest

from inventory.models import InsufficientStock, StockLevel
from inventory.stock import low_stock, release, reserve, restock, ship


def test_reserve_reduces_available():
    level = StockLevel("SKU-1", on_hand=10)
    reserve(level, 4)
    assert level.reserved == 4
    assert level.available == 6


def test_reserve_more_than_available_raises():
    level = StockLevel("SKU-1", on_hand=3, reserved=2)
    with pytest.raises(InsufficientStock) as err:
        reserve(level, 2)
    assert err.value.available == 1


def test_release_never_goes_below_zero():
    level = StockLevel("SKU-1", on_hand=5, reserved=1)
    release(level, 3)
    assert level.reserved == 0


def test_ship_takes_units_off_the_shelf():
    level = StockLevel("SKU-1", on_hand=8, reserved=5)
    ship(level, 5)
    assert (level.on_hand, level.reserved) == (3, 0)


def test_restock_rejects_non_positive_quantities():
    level = StockLevel("SKU-1")
    with pytest.raises(ValueError):
        restock(level, 0)
    restock(level, 12)
    assert level.on_hand == 12


def test_low_stock_returns_lowest_first():
    levels = [
        StockLevel("A", on_hand=20),
        StockLevel("B", on_hand=2),
        StockLevel("C", on_hand=5, reserved=5),
        StockLevel("D", on_hand=6),
    ]
    assert [level.sku for level in low_stock(levels, threshold=5)] == ["C", "B"]
