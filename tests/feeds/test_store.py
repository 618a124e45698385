"""Stored feed documents: new bytes move the validators, the same bytes leave them alone."""

from __future__ import annotations

import gzip
from datetime import timedelta

from syndicate.feeds import store
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
