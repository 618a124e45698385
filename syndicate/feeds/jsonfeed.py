"""JSON Feed 1.1, written to the spec (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from syndicate.feeds.model import FeedItem, FeedMeta

VERSION = "https://jsonfeed.org/version/1.1"


def _date(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _item(item: FeedItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.guid,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html or item.summary or item.title,
        "date_published": _date(item.published),
        "date_modified": _date(item.updated),
    }
    if item.summary:
        out["summary"] = item.summary
    if item.authors:
        out["authors"] = [{"name": name} for name in item.authors]
    if item.tags:
        out["tags"] = list(item.tags)
    if item.language:
        out["language"] = item.language
    if item.image_url:
        out["image"] = item.image_url
    return out


def jsonfeed(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.site_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": meta.language,
        "authors": [{"name": meta.title, "url": meta.site_url}],
    }
    if meta.icon:
        feed["favicon"] = meta.icon
    if meta.logo:
        feed["icon"] = meta.logo
    if "next" in meta.links:
        feed["next_url"] = meta.links["next"]
    if meta.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in meta.hubs]
    if meta.archive:
        feed["expired"] = False
    # Each item is encoded once per article version and its bytes reused in every feed.
    head = _encoded(feed)[:-1]  # without the closing brace
    items_bytes = b",".join(_encoded_item(item) for item in items)
    return b'%s,"items":[%s]}' % (head, items_bytes)


def _encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _encoded_item(item: FeedItem) -> bytes:
    encoded = item.serialised.get("json")
    if encoded is None:
        encoded = item.serialised["json"] = _encoded(_item(item))
    return encoded
