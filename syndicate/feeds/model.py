"""The format-neutral description of a feed, built once and written as RSS, Atom or JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from syndicate.models import Article


@dataclass(frozen=True)
class FeedMeta:
    title: str
    description: str
    language: str
    site_url: str
    self_url: str
    updated: datetime


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    url: str
    summary: str
    content_html: str
    authors: list[str]
    tags: list[str]
    published: datetime
    updated: datetime
    language: str | None
    image_url: str | None = None
    image_alt: str = field(default="")


def article_guid(base_url: str, article_id: str) -> str:
    """A stable id for an article's feed entries: it never changes when the article is edited."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}/articles/{article_id}").urn


def feed_item(base_url: str, article: Article) -> FeedItem:
    return FeedItem(
        guid=article_guid(base_url, article.id),
        title=article.title,
        url=article.url,
        summary=article.summary,
        content_html=article.content_html,
        authors=[a["name"] for a in article.authors],
        tags=list(article.tags),
        published=article.published_at,
        updated=article.updated_at or article.published_at,
        language=article.language,
        image_url=article.image_url,
        image_alt=article.image_alt,
    )
