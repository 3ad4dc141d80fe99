"""A tiny JSON-over-HTTP API on top of http.server.

Routing is a plain function, `handle(repo, method, path, body)`, so it can be tested
without a socket; `serve()` wires it to a ThreadingHTTPServer.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from inventory import stock
from inventory.models import InventoryError, UnknownItem
from inventory.storage import InventoryRepository

Response = tuple[int, dict]


def _level_json(level) -> dict:
    return {
        "sku": level.sku,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.available,
    }


def handle(repo: InventoryRepository, method: str, path: str, body: dict | None) -> Response:
    """Route one request. Returns (HTTP status, JSON body)."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    try:
        if method == "GET" and parts == ["items"]:
            return HTTPStatus.OK, {
                "items": [
                    {"sku": i.sku, "name": i.name, "unit_price_cents": i.unit_price_cents,
                     "category": i.category}
                    for i in repo.list_items()
                ]
            }
        if method == "GET" and len(parts) == 2 and parts[0] == "stock":
            return HTTPStatus.OK, _level_json(repo.get_level(parts[1]))
        if method == "POST" and len(parts) == 3 and parts[0] == "stock":
            sku, action = parts[1], parts[2]
            quantity = int((body or {}).get("quantity", 0))
            operations = {"reserve": stock.reserve, "release": stock.release,
                          "restock": stock.restock, "ship": stock.ship}
            if action not in operations:
                return HTTPStatus.NOT_FOUND, {"error": f"unknown action {action!r}"}
            level = operations[action](repo.get_level(sku), quantity)
            repo.save_level(level)
            return HTTPStatus.OK, _level_json(level)
    except UnknownItem as err:
        return HTTPStatus.NOT_FOUND, {"error": str(err)}
    except (InventoryError, ValueError) as err:
        return HTTPStatus.CONFLICT, {"error": str(err)}
    return HTTPStatus.NOT_FOUND, {"error": f"no route for {method} {path}"}


def make_handler(repo: InventoryRepository) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, payload = handle(repo, method, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._respond("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._respond("POST")

    return Handler


def serve(repo: InventoryRepository, host: str = "127.0.0.1", port: int = 8080) -> None:
    server = ThreadingHTTPServer((host, port), make_handler(repo))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    serve(InventoryRepository("inventory.db"))
