"""RSS, Atom and JSON Feed carry every field, exactly, and stay valid whatever the text."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime

import feedparser
import pytest

from syndicate.feeds import jsonfeed, xml
from syndicate.feeds.model import FeedItem, FeedMeta, article_guid, feed_item
from syndicate.models import Article

TITLE = "AT&T & <Co> say “yes” — 日本語 Ελληνικά עברית 🇯🇵 👩🏽‍💻 é"
CONTENT = (
    '<p onclick="steal()">Read <a href="../related/">this</a> and '
    '<a href="javascript:alert(1)">that</a>.<img src="/img/a.png" onerror="x()">'
    "<script>alert('x')</script>&amp; more\x00\x0b\u202e</p>"
)


def make_article(**fields: object) -> Article:
    values: dict[str, object] = {
        "id": "a-1",
        "status": "published",
        "revision": 1,
        "url": "https://news.example/2026/11/story/",
        "title": TITLE,
        "summary": "A summary with \x1f a control character & an ampersand.",
        "content_html": CONTENT,
        "authors": [{"name": "Zoë Ångström"}, {"name": "李雷"}],
        "tags": ["Clinical Trials", "Ünïcode"],
        "section": "Health",
        "image_url": "https://cdn.example/pic.png?w=1200",
        "image_alt": "A picture",
        "language": "el",
        "published_at": datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
        "changed_at": datetime(2026, 11, 24, 11, 0, 5, tzinfo=UTC),
    }
    values.update(fields)
    return Article(**values)


META = FeedMeta(
    title="Test Newsroom",
    description="News & views",
    language="en",
    site_url="https://news.example/",
    self_url="https://syndicate.test/feeds/rss.xml",
    updated=datetime(2026, 11, 24, 11, 0, 5, tzinfo=UTC),
    hubs=("https://hub.example/",),
    icon="https://news.example/favicon.png",
    logo="https://news.example/logo.png",
    links={"prev-archive": "https://syndicate.test/feeds/archive/2026-11/rss.xml"},
)


@pytest.fixture(params=["rss", "atom"])
def parsed(request: pytest.FixtureRequest) -> feedparser.FeedParserDict:
    item = feed_item("https://syndicate.test", make_article())
    body = getattr(xml, request.param)(META, [item])
    result = feedparser.parse(body)
    assert not result.bozo, result.get("bozo_exception")
    return result


def test_xml_feeds_round_trip_every_field(parsed: feedparser.FeedParserDict) -> None:
    (entry,) = parsed.entries
    assert entry.title == TITLE
    assert entry.link == "https://news.example/2026/11/story/"
    assert entry.id == article_guid("https://syndicate.test", "a-1")
    assert entry.published_parsed[:5] == (2026, 11, 24, 9, 30)
    assert [a.name for a in entry.authors] == ["Zoë Ångström", "李雷"]
    assert [t.term for t in entry.tags] == ["Clinical Trials", "Ünïcode"]
    assert entry.summary == "A summary with  a control character & an ampersand."
    enclosures = [link.href for link in entry.links if link.rel == "enclosure"]
    assert enclosures == ["https://cdn.example/pic.png?w=1200"]


def test_xml_feeds_carry_safe_absolute_content(parsed: feedparser.FeedParserDict) -> None:
    content = parsed.entries[0].content[0].value
    assert 'href="https://news.example/2026/11/related/"' in content
    assert 'src="https://news.example/img/a.png"' in content
    for unsafe in ("script", "onclick", "onerror", "javascript:", "\x00", "\x0b"):
        assert unsafe not in content
    assert "\u202e" in content  # bidi controls are valid XML and kept


def test_feed_metadata_names_site_self_hub_and_history(
    parsed: feedparser.FeedParserDict,
) -> None:
    feed = parsed.feed
    assert feed.title == "Test Newsroom"
    assert feed.language == "en"
    rels = {link.rel: link.href for link in feed.links}
    assert rels["self"] == "https://syndicate.test/feeds/rss.xml"
    assert rels["hub"] == "https://hub.example/"
    assert rels["prev-archive"].endswith("/archive/2026-11/rss.xml")
    assert feed.generator == "Syndicate"


def test_rss_dates_are_rfc_822_and_atom_dates_rfc_3339() -> None:
    item = feed_item("https://syndicate.test", make_article())
    assert b"<pubDate>Tue, 24 Nov 2026 09:30:00 +0000</pubDate>" in xml.rss(META, [item])
    atom = xml.atom(META, [item])
    assert b"<published>2026-11-24T09:30:00+00:00</published>" in atom
    assert b"<updated>2026-11-24T11:00:00+00:00</updated>" in atom


def test_the_guid_never_changes_when_the_article_is_edited() -> None:
    before = feed_item("https://syndicate.test", make_article())
    after = feed_item("https://syndicate.test", make_article(title="New", url="https://x.example/"))
    assert before.guid == after.guid


def test_json_feed_follows_version_1_1() -> None:
    item = feed_item("https://syndicate.test", make_article())
    feed = json.loads(jsonfeed.jsonfeed(META, [item]))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Test Newsroom"
    assert feed["home_page_url"] == "https://news.example/"
    assert feed["feed_url"] == "https://syndicate.test/feeds/rss.xml"
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    (entry,) = feed["items"]
    assert entry["id"] == article_guid("https://syndicate.test", "a-1")
    assert entry["title"] == TITLE
    assert entry["date_published"] == "2026-11-24T09:30:00Z"
    assert entry["date_modified"] == "2026-11-24T11:00:00Z"
    assert entry["authors"] == [{"name": "Zoë Ångström"}, {"name": "李雷"}]
    assert entry["tags"] == ["Clinical Trials", "Ünïcode"]
    assert entry["language"] == "el"
    assert entry["image"] == "https://cdn.example/pic.png?w=1200"
    assert "<script" not in entry["content_html"]
    assert "author" not in entry  # 1.1 uses `authors`


def test_an_article_without_content_or_summary_still_makes_valid_entries() -> None:
    item = feed_item(
        "https://syndicate.test", make_article(content_html="", summary="", image_url=None)
    )
    for writer in (xml.rss, xml.atom):
        parsed = feedparser.parse(writer(META, [item]))
        assert not parsed.bozo and parsed.entries[0].title == TITLE
    assert json.loads(jsonfeed.jsonfeed(META, [item]))["items"][0]["content_html"]


@pytest.mark.parametrize("writer", [xml.rss, xml.atom])
def test_an_entry_shared_by_several_feeds_is_written_the_same_in_each(
    writer: Callable[[FeedMeta, list[FeedItem]], bytes],
) -> None:
    """Entries are built once and copied into every feed they are in."""
    first, second, third = (
        feed_item("https://syndicate.test", make_article(id=f"shared-{n}", title=f"Story {n}"))
        for n in range(3)
    )
    alone = writer(META, [second])
    together = writer(META, [first, second, third])
    assert writer(META, [second]) == alone  # after the entry went into another feed
    entries = feedparser.parse(together).entries
    assert [e.title for e in entries] == ["Story 0", "Story 1", "Story 2"]
    assert feedparser.parse(alone).entries[0] == entries[1]


@pytest.mark.parametrize("rss", [True, False], ids=["rss", "atom"])
def test_a_feed_assembled_from_entry_bytes_is_what_feedgen_writes_for_it_whole(rss: bool) -> None:
    """Each entry is serialised once and its bytes reused; the result must not differ by a
    byte from feedgen serialising the whole feed, even with closing tags inside content."""
    articles = [
        make_article(id="plain", title="Plain", image_url=None, language="en"),
        make_article(id="tags"),
        make_article(id="bare", content_html="", summary="", authors=[], tags=[]),
        make_article(id="greek"),
    ]
    items = [feed_item("https://syndicate.test", a) for a in articles]
    # Content is sanitised before it gets here; this is the worst that could be left in CDATA.
    items[1] = replace(
        items[1], content_html="<p>Not the end: </item>\n</entry>\n    <item>\n  <entry>\n</p>"
    )
    writer = xml.rss if rss else xml.atom
    for feed in (items, items[::-1], items[2:3], []):
        assert writer(META, feed) == xml._serialised(META, feed, rss)
    assert writer(META, items) == xml._serialised(META, items, rss)  # now from cached bytes


def test_a_json_feed_assembled_from_item_bytes_keeps_its_items_in_order() -> None:
    items = [
        feed_item("https://syndicate.test", make_article(id=f"j{n}", title=f'Story {n} "q"'))
        for n in range(3)
    ]
    for feed in (items, items[::-1], []):
        decoded = json.loads(jsonfeed.jsonfeed(META, feed))
        assert [i["title"] for i in decoded["items"]] == [i.title for i in feed]
        assert decoded["title"] == META.title


def test_a_cached_item_gives_the_garbage_collector_nothing_to_walk_but_itself() -> None:
    # A worker keeps thousands of items; full collections must not walk their entries.
    newest = feed_item("https://syndicate.test", make_article(id="newest"))
    item = feed_item("https://syndicate.test", make_article(id="kept", tags=["A", "B"]))
    for writer in (xml.rss, xml.atom, jsonfeed.jsonfeed):
        writer(META, [newest, item])
    assert set(item.serialised) == {"rss", "atom", "json"}
    assert not gc.is_tracked(item.serialised)
    gc.collect()  # tuples of strings are untracked by a collection
    assert not any(gc.is_tracked(getattr(item, f.name)) for f in fields(item))
