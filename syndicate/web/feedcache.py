"""A per-process copy of stored feed documents, so serving a feed costs no query on the hot path.

Workers announce new feeds on a Redis channel and every web process stops trusting its copies
at once; the copies also expire after `ttl` seconds, which bounds how stale a feed can be if an
announcement is lost (Redis restarting, say).

A copy is checked against the database by its ETag alone, and its bytes are read again only
when they changed. A copy that is past half its life is checked in the background while it is
still being served, so a busy feed never expires under its readers; and when a copy has to be
checked before it can be served, concurrent requests for it wait for one query, not one each.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.feeds import store
from syndicate.models import FeedDocument

log = logging.getLogger(__name__)
KEY_LOCKS = 64


@dataclass(frozen=True)
class CachedFeed:
    content_type: str
    body: bytes
    body_gzip: bytes
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class _Entry:
    checked_at: float  # time.monotonic() when the database last confirmed it
    generation: int  # the cache's generation then; an announcement since makes it untrusted
    feed: CachedFeed | None  # None: the database has no such feed


class _Recent:
    """Entries by key, the least recently used dropped first once there are `limit` of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, key: str) -> _Entry | None:
        entry = self.items.get(key)
        if entry is not None:
            with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
                self.items.move_to_end(key)
        return entry

    def put(self, key: str, entry: _Entry) -> None:
        self.items[key] = entry
        self.items.move_to_end(key)
        while len(self.items) > self.limit:
            self.items.popitem(last=False)

    def pop(self, key: str) -> None:
        self.items.pop(key, None)


class FeedCache:
    """Feeds the database has, and keys it has not (so that a reader polling a feed that is
    gone costs no query each time), kept apart: made-up keys can never push a real feed out."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        ttl: float,
        max_entries: int = 5000,
        max_missing: int = 1000,
    ):
        self.factory = factory
        self.ttl = ttl
        self.max_entries = max_entries
        self.found = _Recent(max_entries)
        self.missing = _Recent(max_missing)
        self.lock = threading.Lock()
        # Readers of one key wait for one query; a fixed set of locks, whatever the keys.
        self.key_locks = tuple(threading.Lock() for _ in range(KEY_LOCKS))
        self.refreshing: set[str] = set()
        self.background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="feed-check")
        # Bumped by every announcement, so a copy read from the database before one is not
        # trusted after it.
        self.generation = 0

    def entry(self, key: str) -> _Entry | None:
        return self.found.get(key) or self.missing.get(key)

    def _fresh(self, key: str, now: float) -> _Entry | None:
        entry = self.entry(key)
        if entry is None or entry.generation != self.generation:
            return None
        if now - entry.checked_at >= self.ttl:
            return None
        return entry

    def peek(self, key: str) -> CachedFeed | None:
        """The copy in memory if it is fresh; never waits on the database."""
        now = time.monotonic()
        entry = self._fresh(key, now)
        if entry is None:
            return None
        if now - entry.checked_at >= self.ttl / 2 and key not in self.refreshing:
            self._refresh_soon(key)
        return entry.feed

    def get(self, key: str) -> CachedFeed | None:
        """The fresh copy, checked against the database first if it needs to be."""
        entry = self._fresh(key, time.monotonic())
        if entry is not None:
            return entry.feed
        with self._key_lock(key):
            entry = self._fresh(key, time.monotonic())  # another request just checked it
            if entry is not None:
                return entry.feed
            return self._check(key)

    def forget(self) -> None:
        with self.lock:
            self.generation += 1

    def _key_lock(self, key: str) -> threading.Lock:
        return self.key_locks[hash(key) % KEY_LOCKS]

    def _refresh_soon(self, key: str) -> None:
        with self.lock:
            if key in self.refreshing:
                return
            self.refreshing.add(key)
        self.background.submit(self._refresh, key)

    def _refresh(self, key: str) -> None:
        try:
            with self._key_lock(key):
                self._check(key)
        except Exception as exc:  # the copy expires as usual; the next request tries again
            log.warning("could not check the feed %s: %s", key, exc)
        finally:
            with self.lock:
                self.refreshing.discard(key)

    def _check(self, key: str) -> CachedFeed | None:
        """Ask the database for the feed's ETag, and its bytes only if they are new to us."""
        started, generation = time.monotonic(), self.generation
        known = self.found.get(key)
        with self.factory() as session:
            etag = session.scalar(select(FeedDocument.etag).where(FeedDocument.key == key))
            if etag is None:
                feed = None
            elif known is not None and known.feed is not None and known.feed.etag == etag:
                feed = known.feed
            else:
                feed = _loaded(session, key)
        with self.lock:
            if generation == self.generation:
                entry = _Entry(started, generation, feed)
                if feed is None:
                    self.found.pop(key)
                    self.missing.put(key, entry)
                else:
                    self.missing.pop(key)
                    self.found.put(key, entry)
        return feed

    def listen(self, redis_url: str, channel: str) -> None:
        """Stop trusting every copy whenever a worker announces new feeds, in a background
        thread that reconnects on its own."""
        thread = threading.Thread(
            target=self._listen, args=(redis_url, channel), name="feed-announcements", daemon=True
        )
        thread.start()

    def _listen(self, redis_url: str, channel: str) -> None:
        delay = 0.5
        while True:
            try:
                client = redis.Redis.from_url(redis_url, health_check_interval=30)
                subscription = client.pubsub(  # type: ignore[no-untyped-call]  # redis-py's own
                    ignore_subscribe_messages=True
                )
                subscription.subscribe(channel)
                self.forget()  # anything announced while we were away
                delay = 0.5
                for _message in subscription.listen():
                    self.forget()
            except redis.RedisError:
                time.sleep(delay)
                delay = min(delay * 2, 30.0)


def _loaded(session: Session, key: str) -> CachedFeed | None:
    document = store.load(session, key)
    if document is None:
        return None
    return CachedFeed(
        document.content_type,
        document.body,
        document.body_gzip,
        document.etag,
        document.last_modified,
    )
