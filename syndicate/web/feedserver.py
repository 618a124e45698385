"""The hot path for feed readers: stored feed bytes answered straight from ASGI.

Feed requests are most of a newsroom's traffic and all look alike, so they skip FastAPI's
routing and validation: the copy in `FeedCache`, its validators, 304s, HEAD and gzip. Anything
this path does not find goes on to the app, which answers it (with a JSON 404, say).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from syndicate.metrics import BufferedCounter
from syndicate.web.feedcache import CachedFeed, FeedCache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
PREFIX = "/feeds/"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def accepts_gzip(accept_encoding: str | None) -> bool:
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        q = params.replace(" ", "").removeprefix("q=") if params else "1"
        if coding.strip().lower() in ("gzip", "*"):
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: str, *etags: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
    offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return any(etag in offered for etag in etags)


def is_fresh(scope: Scope, feed: CachedFeed, etag: str) -> bool:
    if_none_match = _header(scope, b"if-none-match")
    if if_none_match is not None:
        return _matches(if_none_match, etag, feed.etag)
    since = _header(scope, b"if-modified-since")
    if since:
        try:
            return feed.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class FeedServer:
    def __init__(
        self,
        app: ASGIApp,
        cache: FeedCache,
        base_url: str,
        hubs: list[str],
        max_age: int,
        counter: BufferedCounter | None = None,
    ) -> None:
        self.app = app
        self.counter = counter
        self.cache = cache
        self.base_url = base_url
        self.hub_links = [f'<{hub}>; rel="hub"' for hub in hubs]
        self.cache_control = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not path.startswith(PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        key = path[len(PREFIX) :]
        feed = self.cache.peek(key)
        if feed is None:
            feed = await run_in_threadpool(self.cache.get, key)
        if feed is None:
            await self.app(scope, receive, send)
            return
        await self.respond(scope, send, key, feed)

    async def respond(self, scope: Scope, send: Send, key: str, feed: CachedFeed) -> None:
        gzipped = bool(feed.body_gzip) and accepts_gzip(_header(scope, b"accept-encoding"))
        body, etag = (
            (feed.body_gzip, feed.etag[:-1] + '-gzip"') if gzipped else (feed.body, feed.etag)
        )
        link = ", ".join([*self.hub_links, f'<{self.base_url}/feeds/{key}>; rel="self"'])
        headers = [
            (b"etag", etag.encode()),
            (b"last-modified", format_datetime(feed.last_modified, usegmt=True).encode()),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept-Encoding"),
            (b"link", link.encode()),
        ]
        fresh = is_fresh(scope, feed, etag)
        if self.counter is not None:
            self.counter.add("304" if fresh else "200")
        if fresh:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-type", feed.content_type.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        if gzipped:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
