"""The hot path for feed readers: stored feed bytes answered straight from ASGI.

Feed requests are most of a newsroom's traffic and all look alike, so they skip FastAPI's
routing and validation: the copy in `FeedCache`, its validators, 304s, HEAD and gzip. Anything
this path does not find goes on to the app, which answers it (with a JSON 404, say).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from syndicate.feeds.scopes import is_document_key
from syndicate.metrics import BufferedCounter
from syndicate.web.feedcache import CachedFeed, FeedCache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
PREFIX = "/feeds/"


Headers = list[tuple[bytes, bytes]]
# Accept-Encoding, If-None-Match and If-Modified-Since, as a request sent them.
Conditions = tuple[bytes | None, bytes | None, bytes | None]


def conditions_of(headers: Headers) -> Conditions:
    """Accept-Encoding, If-None-Match and If-Modified-Since, in one pass over the headers."""
    accept_encoding = if_none_match = if_modified_since = None
    for key, value in headers:
        if key == b"accept-encoding":
            accept_encoding = value
        elif key == b"if-none-match":
            if_none_match = value
        elif key == b"if-modified-since":
            if_modified_since = value
    return accept_encoding, if_none_match, if_modified_since


# Readers send a handful of distinct values; longer ones are read each time, not remembered.
SHORT_ACCEPT_ENCODING = 64


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    if not accept_encoding:
        return False
    if len(accept_encoding) > SHORT_ACCEPT_ENCODING:
        return _accepts_gzip(accept_encoding)
    return _accepts_gzip_remembered(accept_encoding.lower().replace(b" ", b""))


@functools.lru_cache(maxsize=256)
def _accepts_gzip_remembered(accept_encoding: bytes) -> bool:
    return _accepts_gzip(accept_encoding)


def _accepts_gzip(accept_encoding: bytes) -> bool:
    for part in accept_encoding.decode("latin-1").split(","):
        coding, _, params = part.strip().partition(";")
        q = params.replace(" ", "").removeprefix("q=") if params else "1"
        if coding.strip().lower() in ("gzip", "*"):
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: bytes, *etags: bytes) -> bool:
    if if_none_match in etags:  # what a reader usually sends back: the one ETag it was given
        return True
    if if_none_match.strip() == b"*":
        return True
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
    offered = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return any(etag in offered for etag in etags)


def is_fresh(
    if_none_match: bytes | None,
    if_modified_since: bytes | None,
    feed: CachedFeed,
    etags: tuple[bytes, ...],
) -> bool:
    """Whether the reader's copy is current; `etags` are those it may hold (the plain one and
    this encoding's)."""
    if if_none_match is not None:
        return _matches(if_none_match, *etags)
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
            return feed.last_modified.replace(microsecond=0) <= since
        except (TypeError, ValueError):
            return False
    return False


@dataclass(frozen=True)
class FeedAnswer:
    status: int
    headers: Headers
    body: bytes


@dataclass(frozen=True)
class _Variant:
    """One stored feed, plain or gzipped, with its answers prepared once."""

    feed: CachedFeed
    etags: tuple[bytes, ...]
    not_modified: FeedAnswer
    full: FeedAnswer


class FeedResponder:
    """How a stored feed is answered: validators, 304, HEAD, gzip, caching and hub links."""

    def __init__(
        self,
        cache: FeedCache,
        base_url: str,
        hubs: list[str],
        max_age: int,
        counter: BufferedCounter | None = None,
    ) -> None:
        self.cache = cache
        self.base_url = base_url
        self.hub_links = [f'<{hub}>; rel="hub"' for hub in hubs]
        self.cache_control = f"public, max-age={max_age}".encode()
        self.counter = counter
        self.variants: dict[tuple[str, bool], _Variant] = {}

    @staticmethod
    def key(method: str, path: str) -> str | None:
        """The stored feed a request names, if it is a feed request at all."""
        if method not in ("GET", "HEAD") or not path.startswith(PREFIX):
            return None
        key = path[len(PREFIX) :]
        return key if is_document_key(key) else None

    def answer(self, method: str, key: str, feed: CachedFeed, headers: Headers) -> FeedAnswer:
        return self.answer_to(method, key, feed, conditions_of(headers))

    def count(self, status: int) -> None:
        if self.counter is not None:
            self.counter.add("304" if status == 304 else "200")

    def answer_to(
        self, method: str, key: str, feed: CachedFeed, conditions: Conditions
    ) -> FeedAnswer:
        accept_encoding, if_none_match, if_modified_since = conditions
        gzipped = bool(feed.body_gzip) and accepts_gzip(accept_encoding)
        variant = self.variants.get((key, gzipped))
        if variant is None or variant.feed is not feed:
            variant = self._prepare(key, feed, gzipped)
        fresh = is_fresh(if_none_match, if_modified_since, feed, variant.etags)
        self.count(304 if fresh else 200)
        if fresh:
            return variant.not_modified
        if method == "HEAD":
            return replace(variant.full, body=b"")
        return variant.full

    def _prepare(self, key: str, feed: CachedFeed, gzipped: bool) -> _Variant:
        body, etag = (
            (feed.body_gzip, feed.etag[:-1] + '-gzip"') if gzipped else (feed.body, feed.etag)
        )
        link = ", ".join([*self.hub_links, f'<{self.base_url}/feeds/{key}>; rel="self"'])
        validators = [
            (b"etag", etag.encode()),
            (b"last-modified", format_datetime(feed.last_modified, usegmt=True).encode()),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept-Encoding"),
            (b"link", link.encode()),
        ]
        full = [
            *validators,
            (b"content-type", feed.content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if gzipped:
            full.append((b"content-encoding", b"gzip"))
        variant = _Variant(
            feed,
            (etag.encode(), feed.etag.encode()),
            FeedAnswer(304, validators, b""),
            FeedAnswer(200, full, body),
        )
        if len(self.variants) >= 2 * self.cache.max_entries:
            self.variants.clear()
        self.variants[(key, gzipped)] = variant
        return variant


class FeedServer:
    """The ASGI layer: feeds from memory, or read from the database in a thread."""

    def __init__(self, app: ASGIApp, responder: FeedResponder) -> None:
        self.app = app
        self.responder = responder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = (
            self.responder.key(scope["method"], scope.get("path", ""))
            if scope["type"] == "http"
            else None
        )
        if key is None:
            await self.app(scope, receive, send)
            return
        cache = self.responder.cache
        feed = cache.peek(key)
        if feed is None:
            feed = await run_in_threadpool(cache.get, key)
        if feed is None:
            await self.app(scope, receive, send)
            return
        answer = self.responder.answer(scope["method"], key, feed, scope["headers"])
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})
