import pytest

from inventory.api import handle
from inventory.models import Item, UnknownItem
from inventory.stock import reserve
from inventory.storage import InventoryRepository


@pytest.fixture
def repo():
    with InventoryRepository() as repository:
        repository.add_item(Item("A-1", "Anchor", 4500, "marine"), on_hand=7)
        repository.add_item(Item("B-2", "Buoy", 1200, "marine"), on_hand=30)
        yield repository


def test_items_round_trip(repo):
    assert repo.get_item("A-1") == Item("A-1", "Anchor", 4500, "marine")
    assert [item.sku for item in repo.list_items()] == ["A-1", "B-2"]


def test_unknown_item_raises(repo):
    with pytest.raises(UnknownItem):
        repo.get_level("Z-9")


def test_saved_level_is_read_back(repo):
    level = reserve(repo.get_level("A-1"), 5)
    repo.save_level(level)
    again = repo.get_level("A-1")
    assert (again.on_hand, again.reserved, again.available) == (7, 5, 2)


def test_api_reserve_and_conflict(repo):
    status, body = handle(repo, "POST", "/stock/A-1/reserve", {"quantity": 6})
    assert status == 200 and body["available"] == 1
    status, body = handle(repo, "POST", "/stock/A-1/reserve", {"quantity": 2})
    assert status == 409 and "only 1 available" in body["error"]


def test_api_unknown_route(repo):
    status, _ = handle(repo, "DELETE", "/items", None)
    assert status == 404
