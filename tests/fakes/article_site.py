"""A newsroom's article pages on loopback, as crawlers meet them: Open Graph tags, a
robots.txt, images of any size and type, and answers that may differ by User-Agent."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def picture(width: int, height: int, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (12, 74, 110)).save(out, kind)
    return out.getvalue()


@dataclass
class Answer:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    location: str = ""


# Given the User-Agent, the answer for a path.
Route = Callable[[str], Answer]


@dataclass
class ArticleSite:
    routes: dict[str, Route] = field(default_factory=dict)
    user_agents: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                agent = self.headers.get("User-Agent", "")
                site.user_agents.append((self.path, agent))
                route = site.routes.get(self.path)
                answer = route(agent) if route else Answer(404, "text/plain", b"not found")
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.location:
                    self.send_header("Location", answer.location)
                self.end_headers()
                self.wfile.write(answer.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, path: str, tags: dict[str, str], canonical: str = "") -> None:
        meta = "".join(
            f'<meta property="{name}" content="{value}">' for name, value in tags.items()
        )
        link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
        head = f"<title>Page</title>{meta}{link}"
        html = f"<!doctype html><html><head>{head}</head><body>Story</body></html>"
        self.routes[path] = lambda agent: Answer(body=html.encode())

    def image(self, path: str, data: bytes, content_type: str = "image/jpeg") -> None:
        self.routes[path] = lambda agent: Answer(content_type=content_type, body=data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
