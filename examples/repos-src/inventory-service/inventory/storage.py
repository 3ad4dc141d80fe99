"""Persistence: a repository of items and stock levels on SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from inventory.models import Item, StockLevel, UnknownItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    category TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    sku TEXT PRIMARY KEY REFERENCES items(sku),
    on_hand INTEGER NOT NULL,
    reserved INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class InventoryRepository:
    """Items and their stock levels. `path=":memory:"` keeps everything in memory."""

    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "InventoryRepository":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_item(self, item: Item, on_hand: int = 0) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO items (sku, name, unit_price_cents, category)"
                " VALUES (?, ?, ?, ?)",
                (item.sku, item.name, item.unit_price_cents, item.category),
            )
            level = StockLevel(item.sku, on_hand=on_hand)
            self._db.execute(
                "INSERT INTO stock (sku, on_hand, reserved, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (level.sku, level.on_hand, level.reserved, level.updated_at.isoformat()),
            )

    def get_item(self, sku: str) -> Item:
        row = self._db.execute(
            "SELECT sku, name, unit_price_cents, category FROM items WHERE sku = ?",
            (sku,),
        ).fetchone()
        if row is None:
            raise UnknownItem(sku)
        return Item(*row)

    def list_items(self) -> list[Item]:
        rows = self._db.execute(
            "SELECT sku, name, unit_price_cents, category FROM items ORDER BY sku"
        ).fetchall()
        return [Item(*row) for row in rows]

    def get_level(self, sku: str) -> StockLevel:
        row = self._db.execute(
            "SELECT sku, on_hand, reserved, updated_at FROM stock WHERE sku = ?",
            (sku,),
        ).fetchone()
        if row is None:
            raise UnknownItem(sku)
        return StockLevel(row[0], row[1], row[2], datetime.fromisoformat(row[3]))

    def list_levels(self) -> list[StockLevel]:
        rows = self._db.execute(
            "SELECT sku, on_hand, reserved, updated_at FROM stock ORDER BY sku"
        ).fetchall()
        return [StockLevel(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    def save_level(self, level: StockLevel) -> None:
        with self._db:
            cursor = self._db.execute(
                "UPDATE stock SET on_hand = ?, reserved = ?, updated_at = ? WHERE sku = ?",
                (level.on_hand, level.reserved, level.updated_at.isoformat(), level.sku),
            )
        if cursor.rowcount == 0:
            raise UnknownItem(level.sku)
