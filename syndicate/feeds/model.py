"""The format-neutral description of a feed, built once and written as RSS, Atom or JSON."""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from syndicate.feeds.content import plain_text, safe_html, xml_text
from syndicate.models import Article


@dataclass(frozen=True)
class FeedMeta:
    title: str
    description: str
    language: str
    site_url: str
    self_url: str
    updated: datetime
    hubs: tuple[str, ...] = ()
    icon: str = ""
    logo: str = ""
    # RFC 5005 relations (`prev-archive`, `next-archive`, `current`, `next`) to URLs.
    links: dict[str, str] = field(default_factory=dict)
    archive: bool = False
    # Entries taken out by an unpublish, as (entry id, when): Atom's at:deleted-entry.
    tombstones: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True, slots=True)
class FeedItem:
    guid: str
    title: str
    url: str
    summary: str
    content_html: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    published: datetime
    updated: datetime
    language: str | None
    image_url: str | None = None
    image_type: str = "image/jpeg"
    image_alt: str = ""
    # The item's entry as each format writes it ("rss", "atom", "json"), filled in by the
    # writers, so that it is serialised once however many feeds it is in. Only strings and
    # bytes, like every field: the garbage collector need not look inside a cached item.
    serialised: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


def article_guid(base_url: str, article_id: str) -> str:
    """A stable id for an article's feed entries: it never changes when the article is edited."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}/articles/{article_id}").urn


def image_type(url: str) -> str:
    guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
    return guessed if guessed and guessed.startswith("image/") else "image/jpeg"


def cached_feed_item(
    base_url: str, article_id: str, version: int, changed_at: datetime
) -> FeedItem | None:
    """The entry `feed_item` made for this version of the article, if it is still cached."""
    return _ITEMS.get((base_url, article_id, version, changed_at))


def feed_item(base_url: str, article: Article) -> FeedItem:
    """The article as a feed entry; cached per article version, since most entries of a
    rebuilt feed are unchanged and sanitising their HTML is the costly part."""
    key = (base_url, article.id, article.version, article.changed_at)
    item = _ITEMS.get(key)
    if item is None:
        if len(_ITEMS) >= _ITEMS_MAX:
            _ITEMS.clear()
        item = _ITEMS[key] = _feed_item(base_url, article)
    return item


_ITEMS: dict[tuple[str, str, int, datetime], FeedItem] = {}
_ITEMS_MAX = 20_000


def _feed_item(base_url: str, article: Article) -> FeedItem:
    content = article.feed_html
    if content is None:
        content = safe_html(article.content_html, article.url) if article.content_html else ""
    summary = xml_text(article.summary) or plain_text(content)[:300]
    return FeedItem(
        guid=article_guid(base_url, article.id),
        title=xml_text(article.title),
        url=article.url,
        summary=summary,
        content_html=content,
        authors=tuple(xml_text(a["name"]) for a in article.authors),
        tags=tuple(xml_text(t) for t in article.tags),
        published=article.published_at,
        updated=article.updated_at or article.published_at,
        language=article.language,
        image_url=article.image_url,
        image_type=image_type(article.image_url or ""),
        image_alt=xml_text(article.image_alt),
    )
