"""A Mastodon instance on loopback, as far as composition needs one: GET /api/v2/instance."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeMastodon:
    def __init__(self, max_characters: int = 500, url_length: int = 23) -> None:
        self.instance: dict[str, Any] = {
            "domain": "mastodon.test",
            "configuration": {
                "statuses": {
                    "max_characters": max_characters,
                    "characters_reserved_per_url": url_length,
                }
            },
        }
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                found = self.path == "/api/v2/instance"
                body = json.dumps(fake.instance if found else {"error": "Not found"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
