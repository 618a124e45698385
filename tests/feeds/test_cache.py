"""A web process's copy of the stored feeds: never older than its time to live, checked by
ETag, kept fresh in the background while it is read, and checked once for many readers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from syndicate.db import make_engine, make_session_factory
from syndicate.feeds import store
from syndicate.models import utcnow
from syndicate.runtime import Runtime
from syndicate.web.feedcache import FeedCache
from tests.servers import wait_until

KEY = "tags/cache/rss.xml"


def save(runtime: Runtime, body: bytes, key: str = KEY) -> None:
    with runtime.factory.begin() as session:
        store.save(session, key, "application/rss+xml", body, utcnow())


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on an engine of the test's own, so that the web app running in this process
    (on the shared engine) adds nothing to what a test counts."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def queries(factory: sessionmaker[Session]) -> Iterator[list[str]]:
    """The statements sent to the database that read stored feeds."""
    seen: list[str] = []
    engine = factory.kw["bind"]

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "feed_documents" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_copy_is_never_served_after_its_time_to_live_without_a_check(
    runtime: Runtime, factory: sessionmaker[Session], clean: None
) -> None:
    cache = FeedCache(factory, ttl=0.6)
    save(runtime, b"<rss>old</rss>")
    first = cache.get(KEY)
    assert first is not None and first.body == b"<rss>old</rss>"

    save(runtime, b"<rss>new</rss>")  # and no announcement reaches this process
    assert cache.peek(KEY) is first  # still within its time to live

    time.sleep(0.6)
    seen = cache.peek(KEY)
    assert seen is None or seen.body == b"<rss>new</rss>"
    current = cache.get(KEY)
    assert current is not None and current.body == b"<rss>new</rss>"


def test_a_copy_read_past_half_its_life_is_checked_in_the_background(
    runtime: Runtime, factory: sessionmaker[Session], clean: None
) -> None:
    cache = FeedCache(factory, ttl=2.0)
    save(runtime, b"<rss>busy</rss>")
    cache.get(KEY)
    checked = cache.entry(KEY).checked_at
    save(runtime, b"<rss>busier</rss>")

    time.sleep(1.05)
    assert cache.peek(KEY) is not None  # served at once, and a check begins
    wait_until(lambda: cache.entry(KEY).checked_at > checked, timeout=5)
    renewed = cache.peek(KEY)
    assert renewed is not None and renewed.body == b"<rss>busier</rss>"

    # Read all the while, the copy never expires under its readers.
    deadline = time.monotonic() + 4.5
    while time.monotonic() < deadline:
        assert cache.peek(KEY) is not None
        time.sleep(0.02)


def test_after_an_announcement_unchanged_bytes_are_kept_and_changed_ones_read_again(
    runtime: Runtime, factory: sessionmaker[Session], clean: None, queries: list[str]
) -> None:
    cache = FeedCache(factory, ttl=600)
    save(runtime, b"<rss>same</rss>")
    first = cache.get(KEY)
    queries.clear()

    cache.forget()
    assert cache.peek(KEY) is None  # not trusted until checked
    assert cache.get(KEY) is first
    assert len(queries) == 1 and "body" not in queries[0]  # the ETag alone

    save(runtime, b"<rss>changed</rss>")
    cache.forget()
    changed = cache.get(KEY)
    assert changed is not None and changed.body == b"<rss>changed</rss>"


def test_many_readers_of_an_unchecked_copy_wait_for_one_query(
    runtime: Runtime, factory: sessionmaker[Session], clean: None, queries: list[str]
) -> None:
    cache = FeedCache(factory, ttl=600)
    save(runtime, b"<rss>popular</rss>")
    cache.get(KEY)
    cache.forget()
    queries.clear()
    start = threading.Barrier(16)
    bodies: list[bytes | None] = []

    def read() -> None:
        start.wait()
        feed = cache.get(KEY)
        bodies.append(feed.body if feed else None)

    readers = [threading.Thread(target=read) for _ in range(16)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert bodies == [b"<rss>popular</rss>"] * 16
    assert len(queries) == 1


def test_a_feed_that_is_gone_is_remembered_as_missing(
    factory: sessionmaker[Session], clean: None
) -> None:
    cache = FeedCache(factory, ttl=600)
    assert cache.get("tags/never/rss.xml") is None
    assert cache.entry("tags/never/rss.xml") is not None


def test_keys_the_database_lacks_never_push_a_real_feed_out(
    runtime: Runtime, factory: sessionmaker[Session], clean: None, queries: list[str]
) -> None:
    cache = FeedCache(factory, ttl=600, max_entries=10, max_missing=5)
    save(runtime, b"<rss>real</rss>")
    real = cache.get(KEY)
    for n in range(50):
        assert cache.get(f"tags/junk-{n}/rss.xml") is None
    assert len(cache.missing.items) == 5
    queries.clear()
    assert cache.peek(KEY) is real and cache.get(KEY) is real
    assert queries == []


def test_a_full_cache_drops_the_feed_read_least_recently(
    runtime: Runtime, factory: sessionmaker[Session], clean: None
) -> None:
    keys = ["rss.xml", "atom.xml", "feed.json"]
    for key in keys:
        save(runtime, b"<feed/>", key)
    cache = FeedCache(factory, ttl=600, max_entries=2)
    cache.get("rss.xml")
    cache.get("atom.xml")
    cache.peek("rss.xml")  # read again: now atom.xml is the least recent
    cache.get("feed.json")
    assert list(cache.found.items) == ["rss.xml", "feed.json"]
