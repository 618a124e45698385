"""Stored feed documents: new bytes move the validators, the same bytes leave them alone."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from syndicate.db import make_engine, make_session_factory
from syndicate.feeds import store
from syndicate.migrate import upgrade
from syndicate.models import FeedDocument, utcnow
from syndicate.runtime import Runtime


def saved(runtime: Runtime, body: bytes) -> tuple[bool, FeedDocument]:
    with runtime.factory.begin() as session:
        changed = store.save(session, "tags/x/rss.xml", "application/rss+xml", body, utcnow())
    with runtime.factory() as session:
        return changed, session.get_one(FeedDocument, "tags/x/rss.xml")


def test_a_document_is_stored_once_per_distinct_body(runtime: Runtime, clean: None) -> None:
    created, first = saved(runtime, b"<rss>one</rss>")
    assert created and gzip.decompress(first.body_gzip) == b"<rss>one</rss>"

    repeated, same = saved(runtime, b"<rss>one</rss>")
    assert not repeated and same.etag == first.etag
    assert same.last_modified == first.last_modified

    replaced, second = saved(runtime, b"<rss>two</rss>")
    assert replaced and second.etag != first.etag and second.body == b"<rss>two</rss>"
    assert second.last_modified - first.last_modified >= timedelta(0)


def test_bodies_are_compressed_with_lz4_and_gzip_copies_stored_as_they_are(
    runtime: Runtime,
) -> None:
    with runtime.engine.connect() as conn:
        columns = dict(
            conn.exec_driver_sql(
                "SELECT attname, attcompression::text || '/' || attstorage::text FROM pg_attribute "
                "WHERE attrelid = 'feed_documents'::regclass AND attname IN ('body', 'body_gzip')"
            ).all()
        )
    assert columns == {"body": "l/x", "body_gzip": "/e"}  # lz4, compressed; never compressed


@pytest.fixture(params=["postgresql", "sqlite"])
def factory(
    request: pytest.FixtureRequest, runtime: Runtime, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    if request.param == "postgresql":
        request.getfixturevalue("clean")
        yield runtime.factory
        return
    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_documents_saved_together_report_only_those_whose_bytes_changed(
    factory: sessionmaker[Session],
) -> None:
    first, later = utcnow() - timedelta(minutes=5), utcnow()
    with factory.begin() as session:
        created = store.save_many(
            session,
            [
                store.Document("a/rss.xml", "application/rss+xml", b"<rss>a</rss>", first),
                store.Document("a/feed.json", "application/feed+json", b"{}", first),
            ],
        )
    assert created == {"a/rss.xml", "a/feed.json"}
    with factory.begin() as session:
        changed = store.save_many(
            session,
            [
                store.Document("a/rss.xml", "application/rss+xml", b"<rss>a</rss>", later),
                store.Document("a/feed.json", "application/feed+json", b'{"v":2}', later),
                store.Document("b/rss.xml", "application/rss+xml", b"<rss>b</rss>", later),
            ],
        )
    assert changed == {"a/feed.json", "b/rss.xml"}
    with factory() as session:
        unchanged = session.get_one(FeedDocument, "a/rss.xml")
        assert unchanged.last_modified.replace(tzinfo=None) == first.replace(tzinfo=None)
        replaced = session.get_one(FeedDocument, "a/feed.json")
        assert replaced.body == b'{"v":2}' and gzip.decompress(replaced.body_gzip) == b'{"v":2}'
