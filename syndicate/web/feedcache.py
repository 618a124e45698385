"""A per-process copy of stored feed documents, re-read from the database at most every
`ttl` seconds, so serving a feed costs no query on the hot path."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from syndicate.feeds import store


@dataclass(frozen=True)
class CachedFeed:
    content_type: str
    body: bytes
    body_gzip: bytes
    etag: str
    last_modified: datetime


class FeedCache:
    def __init__(self, factory: sessionmaker[Session], ttl: float, max_entries: int = 5000):
        self.factory = factory
        self.ttl = ttl
        self.max_entries = max_entries
        self.entries: dict[str, tuple[float, CachedFeed | None]] = {}
        self.lock = threading.Lock()

    def peek(self, key: str) -> CachedFeed | None:
        """The copy in memory if it is fresh; never touches the database."""
        hit = self.entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def get(self, key: str) -> CachedFeed | None:
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        with self.factory() as session:
            document = store.load(session, key)
            feed = (
                None
                if document is None
                else CachedFeed(
                    document.content_type,
                    document.body,
                    document.body_gzip,
                    document.etag,
                    document.last_modified,
                )
            )
        with self.lock:
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
            self.entries[key] = (now, feed)
        return feed
