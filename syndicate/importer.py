"""`syndicate import`: bring an existing RSS or Atom feed's history in, so the new feeds have
it from day one. Imported articles get feeds and cards; social posts only when asked."""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import requests
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.articles import receive
from syndicate.cms import ARTICLE_ID_PATTERN, ArticleEvent, ArticleIn
from syndicate.config import SiteConfig
from syndicate.feeds.build import FeedSettings, rebuild_archive, rebuild_scope, update_memberships
from syndicate.http import TIMEOUT, make_session
from syndicate.models import Article

MAX_FEED_BYTES = 50 * 1024 * 1024
_ID = re.compile(ARTICLE_ID_PATTERN)
_TAGS = re.compile(r"<[^>]+>")


class FeedImportError(Exception):
    """The feed could not be read; the message says why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def read_feed(source: str, session: requests.Session | None = None) -> Any:
    """Parse a feed from an http(s) URL or a file."""
    if re.match(r"^https?://", source):
        http = session or make_session()
        try:
            response = http.get(source, timeout=TIMEOUT, stream=True)
            if response.status_code >= 400:
                raise FeedImportError(
                    f"could not fetch {source}: HTTP {response.status_code}", response.status_code
                )
            body = response.raw.read(MAX_FEED_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise FeedImportError(f"could not fetch {source}: {exc}") from exc
        if len(body) > MAX_FEED_BYTES:
            raise FeedImportError(f"{source} is larger than {MAX_FEED_BYTES} bytes")
    else:
        path = Path(source)
        if not path.is_file():
            raise FeedImportError(f"{source}: no such file")
        body = path.read_bytes()
    parsed = feedparser.parse(body)
    if not parsed.entries and parsed.get("bozo"):
        raise FeedImportError(f"{source} is not a feed: {parsed.get('bozo_exception')}")
    return parsed


def article_id(entry: Any) -> str:
    """The entry's id where it is a valid article id, else a stable one made from it."""
    guid = str(entry.get("id") or entry.get("link") or "")
    if _ID.match(guid):
        return guid
    return "feed-" + hashlib.sha256(guid.encode()).hexdigest()[:32]


def normal_language(value: str | None) -> str | None:
    """A feed's language as a BCP 47 tag (`en_US` → `en-US`), or None if it is not one."""
    tag = (value or "").strip().replace("_", "-")
    return tag if re.match(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", tag) else None


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def _image(entry: Any) -> dict[str, str] | None:
    for media in entry.get("media_content", []) + entry.get("media_thumbnail", []):
        if media.get("url") and media.get("medium", "image") == "image":
            return {"url": media["url"]}
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return {"url": link["href"]}
    return None


def to_article(entry: Any, language: str | None) -> ArticleIn:
    content = entry.get("content") or []
    html = content[0].get("value", "") if content else entry.get("summary", "")
    summary = _TAGS.sub("", entry.get("summary", "")).strip()
    data = {
        "id": article_id(entry),
        "url": entry.get("link"),
        "title": _TAGS.sub("", entry.get("title", "")).strip(),
        "summary": summary[:20_000],
        "content_html": html,
        "authors": [{"name": a["name"]} for a in entry.get("authors", []) if a.get("name")],
        "tags": [t["term"] for t in entry.get("tags", []) if t.get("term")][:100],
        "image": _image(entry),
        "language": language,
        "published_at": _when(entry),
    }
    return ArticleIn.model_validate(data)


@dataclass
class ImportResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)
    pages: set[tuple[str, int]] = field(default_factory=set)


def _known_url(session: Session, url: str, article_id: str) -> bool:
    """Another article (the CMS's own, say) already has this URL: importing it would be a twin."""
    found = session.scalars(select(Article.id).where(Article.url == url).limit(1)).first()
    return found is not None and found != article_id


def skipped_because(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def entry_article(entry: Any, language: str | None) -> ArticleIn | str:
    """The feed entry as an article, or why it cannot be one."""
    try:
        return to_article(entry, language)
    except ValidationError as exc:
        return f"{entry.get('link') or entry.get('id') or '?'}: {skipped_because(exc)}"


def import_articles(
    factory: sessionmaker[Session],
    articles: Iterable[ArticleIn],
    site: SiteConfig,
    feed_settings: FeedSettings,
    share: bool,
    now: datetime,
) -> ImportResult:
    """Store each article as a revision and place it in its feeds; idempotent, so an import
    stopped half-way and run again stores the rest."""
    result = ImportResult()
    for data in articles:
        with factory() as session:
            if _known_url(session, str(data.url), data.id):
                result.unchanged += 1
                continue
        delivery_id = f"import:{data.id}:{data.content_hash()[:16]}"
        event = ArticleEvent(delivery_id=delivery_id, event="article.published", article=data)
        receipt = receive(factory, event, now)
        status = receipt.body["status"]
        if not receipt.changed:
            result.unchanged += 1
            continue
        result.new += status == "published"
        result.updated += status == "updated"
        result.changed_ids.append(data.id)
        with factory.begin() as session:
            article = session.get_one(Article, data.id)
            if status == "published" and not share:
                article.shareable = False
            change = update_memberships(
                session, data.id, site, feed_settings.archive_page_size, now, feed_settings.base_url
            )
            article.feeds_version = change.version
        result.scopes.update(change.scopes)
        result.pages.update(change.pages)
    return result


def render_feeds(
    factory: sessionmaker[Session],
    result: ImportResult,
    site: SiteConfig,
    feed_settings: FeedSettings,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = lambda items, label: items,
) -> None:
    """Render each feed and archive page the import touched, once."""
    for scope in progress(sorted(result.scopes), "feeds"):
        with factory.begin() as session:
            rebuild_scope(session, scope, site, feed_settings)
    for scope, page in progress(sorted(result.pages), "archive pages"):
        with factory.begin() as session:
            rebuild_archive(session, scope, page, site, feed_settings)


def oldest_first(articles: Iterable[ArticleIn]) -> list[ArticleIn]:
    """Articles join feeds in the order they were published, as they first did."""
    return sorted(articles, key=lambda a: a.published_at)
