"""How a stored feed is answered: its validators, 304s, HEAD, gzip, caching and hub links,
each variant's headers made once per stored version and reused for every reader."""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.utils import format_datetime

from syndicate.feeds.scopes import is_document_key
from syndicate.metrics import BufferedCounter
from syndicate.purging import document_keys
from syndicate.web.conditional import Conditions, Headers, accepts_gzip, is_fresh
from syndicate.web.edge import edge_headers
from syndicate.web.feedcache import CachedFeed, FeedCache


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
    def __init__(
        self,
        cache: FeedCache,
        base_url: str,
        hubs: list[str],
        max_age: int,
        counter: BufferedCounter | None = None,
        edge_max_age: int = 86400,
    ) -> None:
        self.cache = cache
        self.base_url = base_url
        self.hub_links = [f'<{hub}>; rel="hub"' for hub in hubs]
        self.cache_control = f"public, max-age={max_age}".encode()
        self.counter = counter
        self.edge_max_age = edge_max_age
        self.variants: dict[tuple[str, bool], _Variant] = {}

    @staticmethod
    def is_feed(key: str) -> bool:
        """Whether `key` (the path under /feeds/) can name a stored feed at all."""
        return is_document_key(key)

    def count(self, status: int) -> None:
        if self.counter is not None:
            self.counter.add("304" if status == 304 else "200")

    def answer(self, method: str, key: str, feed: CachedFeed, conditions: Conditions) -> FeedAnswer:
        accept_encoding, if_none_match, if_modified_since = conditions
        gzipped = bool(feed.body_gzip) and accepts_gzip(accept_encoding)
        variant = self.variants.get((key, gzipped))
        if variant is None or variant.feed is not feed:
            variant = self._prepare(key, feed, gzipped)
        fresh = is_fresh(if_none_match, if_modified_since, variant.etags, feed.last_modified)
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
        edges = edge_headers(document_keys(key), self.edge_max_age)
        # What a 304 must carry (RFC 9110 §15.4.5), and how long caches may keep the copy.
        validators = [
            (b"etag", etag.encode()),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept-Encoding"),
            (b"surrogate-control", edges["Surrogate-Control"].encode()),
            (b"cdn-cache-control", edges["CDN-Cache-Control"].encode()),
        ]
        full = [
            *validators,
            (b"last-modified", format_datetime(feed.last_modified, usegmt=True).encode()),
            (b"link", link.encode()),
            (b"surrogate-key", edges["Surrogate-Key"].encode()),
            (b"cache-tag", edges["Cache-Tag"].encode()),
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
