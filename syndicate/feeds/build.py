"""Rebuild the feeds an article belongs to, from the database, and store them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.config import SiteConfig
from syndicate.feeds import store, xml
from syndicate.feeds.model import FeedMeta, feed_item
from syndicate.models import Article, ArticleStatus

RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class FeedSettings:
    base_url: str
    items: int


def site_articles(session: Session, limit: int) -> list[Article]:
    return list(
        session.scalars(
            select(Article)
            .where(Article.status == ArticleStatus.PUBLISHED, Article.revision > 0)
            .order_by(Article.published_at.desc(), Article.id)
            .limit(limit)
        )
    )


def rebuild_site_feeds(
    session: Session, site: SiteConfig, settings: FeedSettings, now: datetime
) -> list[str]:
    """Render the site-wide feeds; return the keys whose bytes changed."""
    key = "rss.xml"
    document = store.lock(session, key, now)
    articles = site_articles(session, settings.items)
    items = [feed_item(settings.base_url, a) for a in articles]
    newest = max((a.changed_at for a in articles), default=document.last_modified)
    meta = FeedMeta(
        title=site.title,
        description=site.description,
        language=site.language,
        site_url=site.link or settings.base_url + "/",
        self_url=f"{settings.base_url}/feeds/{key}",
        updated=newest,
    )
    changed = store.save(document, RSS_TYPE, xml.rss(meta, items), now)
    return [key] if changed else []


def rebuild_feeds_for(
    session: Session, article_id: str, site: SiteConfig, settings: FeedSettings, now: datetime
) -> list[str]:
    """Rebuild every feed the article is (or was) in, and record the version done."""
    article = session.get(Article, article_id)
    if article is None:
        return []
    version = article.version
    changed = rebuild_site_feeds(session, site, settings, now)
    article = session.get(Article, article_id, populate_existing=True)
    if article is not None and article.feeds_version < version:
        article.feeds_version = version
    return changed
