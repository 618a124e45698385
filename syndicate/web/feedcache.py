"""A per-process copy of stored feed documents, so serving a feed costs no query on the hot path.

Workers announce new feeds on a Redis channel and every web process drops its copies at once;
the copies also expire after `ttl` seconds, which bounds how stale a feed can be if an
announcement is lost (Redis restarting, say)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from syndicate.feeds import store
from syndicate.feeds.announcements import CHANNEL


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
        # Bumped by every announcement, so a copy read from the database before one is not
        # kept after it.
        self.generation = 0

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
        generation = self.generation
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
            if generation == self.generation:
                self.entries[key] = (now, feed)
        return feed

    def forget(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()

    def listen(self, redis_url: str) -> None:
        """Forget every copy whenever a worker announces new feeds, in a background thread
        that reconnects on its own."""
        thread = threading.Thread(
            target=self._listen, args=(redis_url,), name="feed-announcements", daemon=True
        )
        thread.start()

    def _listen(self, redis_url: str) -> None:
        delay = 0.5
        while True:
            try:
                client = redis.Redis.from_url(redis_url, health_check_interval=30)
                subscription = client.pubsub(ignore_subscribe_messages=True)
                subscription.subscribe(CHANNEL)
                self.forget()  # anything announced while we were away
                delay = 0.5
                for _message in subscription.listen():
                    self.forget()
            except redis.RedisError:
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
