"""An unpublished article leaves every feed at once and, for 30 days, the Atom feeds it was in
announce its entry as deleted (RFC 6721), so that readers who keep entries can drop theirs."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from lxml import etree
from sqlalchemy import update

from syndicate.models import FeedTombstone, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


def deleted_entries(client: Client, path: str) -> dict[str, str]:
    response = client.http.get(path)
    if response.status_code != 200:
        return {}
    root = etree.fromstring(response.content)
    return {e.get("ref"): e.get("when") for e in root.iter(TOMBSTONES)}


def entry_ids(client: Client, path: str) -> list[str]:
    return [e.id for e in feedparser.parse(client.http.get(path).content).entries]


def test_an_unpublished_articles_entry_is_announced_as_deleted_in_its_atom_feeds(
    client: Client,
) -> None:
    assert client.send(envelope(article("tomb-1", tags=["Ferries"]))).status_code == 202
    assert client.send(envelope(article("tomb-2", tags=["Ferries"]))).status_code == 202
    wait_until(lambda: len(entry_ids(client, "/feeds/tags/ferries/atom.xml")) == 2)
    first = feedparser.parse(client.http.get("/feeds/atom.xml").content)
    entry_id = next(e.id for e in first.entries if e.link.endswith("/tomb-1"))

    withdrawn = envelope({"id": "tomb-1"}, event="article.unpublished")
    assert client.send(withdrawn).status_code == 202
    for path in ("/feeds/atom.xml", "/feeds/tags/ferries/atom.xml"):
        wait_until(lambda path=path: entry_id in deleted_entries(client, path))
        assert entry_id not in entry_ids(client, path)
        assert len(entry_ids(client, path)) == 1
    assert b"deleted-entry" not in client.http.get("/feeds/rss.xml").content

    republished = envelope(article("tomb-1", tags=["Ferries"], summary="Back again"))
    assert client.send(republished).status_code == 202
    wait_until(lambda: entry_id in entry_ids(client, "/feeds/atom.xml"))
    assert entry_id not in deleted_entries(client, "/feeds/atom.xml")


def test_a_tombstone_older_than_30_days_is_no_longer_announced(
    client: Client, runtime: Runtime
) -> None:
    path = "/feeds/tags/old-news/atom.xml"
    assert client.send(envelope(article("tomb-old", tags=["Old news"]))).status_code == 202
    wait_until(lambda: entry_ids(client, path))
    (entry_id,) = entry_ids(client, path)
    assert client.send(envelope({"id": "tomb-old"}, "article.unpublished")).status_code == 202
    wait_until(lambda: entry_id in deleted_entries(client, path))

    with runtime.factory.begin() as session:
        long_ago = utcnow() - timedelta(days=31)
        session.execute(update(FeedTombstone).values(deleted_at=long_ago))
    later = article("tomb-new", title="Next story", tags=["Old news"])
    assert client.send(envelope(later)).status_code == 202
    wait_until(lambda: "Next story" in client.http.get(path).text)
    assert deleted_entries(client, path) == {}
