"""An image host on loopback: a photo, a missing file, a page that is not an image, redirects
(out of http(s), in a loop, to a malformed URL, or set by a test), a decompression bomb, a
format no browser shows, and servers that misbehave: dripping bytes, broken chunked or gzip
bodies."""

from __future__ import annotations

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def photo_bytes(width: int = 1600, height: int = 900) -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 40):  # stripes, so the photo is not one flat colour
        image.paste((x % 255, 120, 200), (x, 0, x + 20, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def bmp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 630), (200, 30, 30)).save(out, "BMP")
    return out.getvalue()


def bomb_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 megapixels in a few kilobytes
    return out.getvalue()


class ImageHost:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.routes = {
            "/photo.jpg": (200, "image/jpeg", photo_bytes(), {}),
            "/page.html": (200, "text/html", b"<html></html>", {}),
            "/elsewhere": (302, "text/plain", b"", {"Location": "file:///etc/passwd"}),
            "/loop": (302, "text/plain", b"", {"Location": "/loop"}),
            "/bomb.png": (200, "image/png", bomb_bytes(), {}),
            "/moved.jpg": (301, "text/plain", b"", {"Location": "/photo.jpg"}),
            "/bad-location": (302, "text/plain", b"", {"Location": "http://[::1"}),
            "/photo.bmp": (200, "image/bmp", bmp_bytes(), {}),
            "/bad-gzip.jpg": (200, "image/jpeg", b"not gzip at all", {"Content-Encoding": "gzip"}),
        }
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                host.requests.append(self.path)
                if self.path in ("/drip.jpg", "/broken-chunks.jpg"):
                    self.misbehave()
                    return
                status, media_type, body, headers = host.routes.get(
                    self.path, (404, "text/plain", b"not found", {})
                )
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def misbehave(self) -> None:
                self.protocol_version = "HTTP/1.1"
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                if self.path == "/broken-chunks.jpg":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"4\r\n\xff\xd8\xff\xe0\r\nzz\r\nnot a chunk\r\n")
                    return
                self.end_headers()
                try:  # a byte every 0.2 s, for far longer than any fetch may take
                    for _ in range(300):
                        self.wfile.write(b"\xff")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.server_address[1]}{path}"

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = (302, "text/plain", b"", {"Location": location})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
