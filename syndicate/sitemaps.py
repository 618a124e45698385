"""Sitemaps for search engines: Google News's (the articles of the last 48 hours, at most
1,000, https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap) and
the plain sitemaps protocol's (every published article, split into pages of 50,000 under a
sitemap index, https://www.sitemaps.org/protocol.html)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.config import SiteConfig
from syndicate.models import Article, ArticleStatus

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NEWS_HOURS = 48
NEWS_LIMIT = 1000
PAGE_SIZE = 50_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PUBLISHED = (Article.status == ArticleStatus.PUBLISHED, Article.revision > 0)


@dataclass(frozen=True)
class Sitemap:
    body: bytes
    modified: datetime  # when the newest thing it lists changed


def _xml(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _sub(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def news_language(language: str | None) -> str:
    """ISO 639 as Google News takes it: the primary subtag, but zh-cn and zh-tw whole."""
    tag = (language or "en").replace("_", "-").lower()
    return tag if tag in ("zh-cn", "zh-tw") else tag.split("-")[0]


def news_sitemap(session: Session, site: SiteConfig, now: datetime) -> Sitemap:
    since = now - timedelta(hours=NEWS_HOURS)
    articles = session.execute(
        select(
            Article.url, Article.title, Article.language, Article.published_at, Article.changed_at
        )
        .where(*PUBLISHED, Article.published_at >= since, Article.published_at <= now)
        .order_by(Article.published_at.desc(), Article.id)
        .limit(NEWS_LIMIT)
    ).all()
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    for url, title, language, published, _ in articles:
        entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        _sub(entry, f"{{{SITEMAP_NS}}}loc", url)
        news = etree.SubElement(entry, f"{{{NEWS_NS}}}news")
        publication = etree.SubElement(news, f"{{{NEWS_NS}}}publication")
        _sub(publication, f"{{{NEWS_NS}}}name", site.title)
        _sub(publication, f"{{{NEWS_NS}}}language", news_language(language or site.language))
        _sub(news, f"{{{NEWS_NS}}}publication_date", published.isoformat(timespec="seconds"))
        _sub(news, f"{{{NEWS_NS}}}title", title)
    return Sitemap(_xml(root), max((row[4] for row in articles), default=since))


def article_pages(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(Article).where(*PUBLISHED))
    return max(1, -(-int(count or 0) // PAGE_SIZE))


def sitemap_index(session: Session, base_url: str, now: datetime) -> Sitemap:
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for page in range(1, article_pages(session) + 1):
        entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        _sub(entry, f"{{{SITEMAP_NS}}}loc", f"{base_url}/sitemaps/articles/{page}.xml")
    newest = session.scalar(select(func.max(Article.changed_at)).where(*PUBLISHED))
    return Sitemap(_xml(root), newest or now)


def articles_page(session: Session, page: int) -> Sitemap | None:
    """One page of every published article, oldest first (pages keep their articles as new
    ones arrive); None past the last page."""
    if not 1 <= page <= article_pages(session):
        return None
    rows = session.execute(
        select(Article.url, Article.updated_at, Article.published_at, Article.changed_at)
        .where(*PUBLISHED)
        .order_by(Article.published_at, Article.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for url, updated, published, _ in rows:
        entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        _sub(entry, f"{{{SITEMAP_NS}}}loc", url)
        changed = (updated or published).isoformat(timespec="seconds")
        _sub(entry, f"{{{SITEMAP_NS}}}lastmod", changed)
    return Sitemap(_xml(root), max((row[3] for row in rows), default=EPOCH))
