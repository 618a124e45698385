"""An article's card: the Open Graph, X and fediverse meta tags and JSON-LD that link
previews read, rendered from Jinja2, with the generated share image they point at."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from syndicate import cardchecks
from syndicate.config import SiteConfig
from syndicate.feeds.scopes import FORMATS, SITE, Scope, document_key, scopes_of
from syndicate.fetch import FetchRefused, fetch_image
from syndicate.images import HEIGHT, WIDTH, ShareImage, Style, render_share_image
from syndicate.models import BODY_UNREAD, Article, ArticleStatus, Card
from syndicate.sitesource import SiteSource, site_in
from syndicate.templating import html_environment

log = logging.getLogger(__name__)
DESCRIPTION_LENGTH = 200
FORMAT_NAMES = {"rss.xml": "RSS", "atom.xml": "Atom", "feed.json": "JSON Feed"}


@dataclass(frozen=True)
class ImagePolicy:
    allow_private: bool = False
    max_bytes: int = 10 * 1024 * 1024
    allowed_hosts: frozenset[str] = frozenset()


def trim_description(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """Shorten at a word boundary with an ellipsis, never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def feed_links(article: Article, site: SiteConfig, base_url: str) -> list[dict[str, str]]:
    """Autodiscovery: every feed the article is in, in every format."""
    links = []
    for scope in scopes_of(article, site.title) or [Scope(SITE, "site", site.title)]:
        name = site.title if scope.key == SITE else f"{site.title}: {scope.name}"
        for filename, content_type in FORMATS.items():
            links.append(
                {
                    "title": f"{name} ({FORMAT_NAMES[filename]})",
                    "type": content_type.split(";")[0],
                    "url": f"{base_url}/feeds/{document_key(scope.key, filename)}",
                }
            )
    return links


def og_locale(language: str | None) -> str:
    """BCP 47 `en-GB` as Open Graph's `en_GB`."""
    parts = (language or "en").replace("_", "-").split("-")
    return parts[0].lower() + (f"_{parts[1].upper()}" if len(parts) > 1 else "")


def handle(article: Article, platform: str) -> str:
    for author in article.authors:
        found = (author.get("handles") or {}).get(platform)
        if found:
            return str(found)
    return ""


def json_ld(article: Article, site: SiteConfig, image_url: str) -> Markup:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "url": article.url,
        "mainEntityOfPage": article.url,
        "image": [image_url],
        "datePublished": article.published_at.isoformat(),
        "dateModified": (article.updated_at or article.published_at).isoformat(),
        "author": [
            {"@type": "Person", "name": a["name"], **({"url": a["url"]} if a.get("url") else {})}
            for a in article.authors
        ],
        "publisher": {
            "@type": "Organization",
            "name": site.title,
            **({"logo": {"@type": "ImageObject", "url": site.logo}} if site.logo else {}),
        },
    }
    if article.section:
        data["articleSection"] = article.section
    if article.tags:
        data["keywords"] = list(article.tags)
    # Inside <script>, "</" or "<!--" would end or confuse the element: escape every "<".
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def card_context(
    article: Article, site: SiteConfig, base_url: str, image: ShareImage | None
) -> dict[str, Any]:
    image_url = (
        f"{base_url}/cards/{article.id}/image-{image.content_hash}.{image.extension}"
        if image
        else ""
    )
    return {
        "site": site,
        "article": article,
        "description": trim_description(article.summary or article.title),
        "locale": og_locale(article.language or site.language),
        "image": {
            "url": image_url,
            "type": image.media_type if image else "",
            "width": WIDTH,
            "height": HEIGHT,
            "alt": article.image_alt or article.title,
        }
        if image
        else None,
        "x_creator": handle(article, "x"),
        "fediverse_creator": handle(article, "mastodon"),
        "card_url": f"{base_url}/cards/{article.id}",
        "feeds": feed_links(article, site, base_url),
        "json_ld": json_ld(article, site, image_url),
    }


def render_card(
    article: Article,
    site: SiteConfig,
    base_url: str,
    templates_dir: Path,
    image: ShareImage | None = None,
) -> tuple[str, str]:
    """The standalone card page and the head snippet, from the same context."""
    env = html_environment(templates_dir)
    context = card_context(article, site, base_url, image)
    meta = env.get_template("cards/meta.html.j2").render(context)
    page = env.get_template("cards/page.html.j2").render(context, meta=Markup(meta))
    return page, meta


def _fetch_or_none(url: str | None, policy: ImagePolicy) -> bytes | None:
    if not url:
        return None
    try:
        data, _ = fetch_image(
            url,
            allow_private=policy.allow_private,
            allowed_hosts=policy.allowed_hosts,
            max_bytes=policy.max_bytes,
        )
        return data
    except FetchRefused as exc:
        log.warning("image %s not used: %s", url, exc)
        return None


def share_image(article: Article, site: SiteConfig, policy: ImagePolicy) -> ShareImage:
    """The article's share image; an image that fails to load falls back to the brand colour."""
    style = Style(site.brand_color, site.accent_color, site.text_color, site.font, site.bold_font)
    byline = ", ".join(a["name"] for a in article.authors)
    date_text = article.published_at.strftime("%-d %B %Y")
    background, logo = (
        _fetch_or_none(article.image_url, policy),
        _fetch_or_none(site.logo or None, policy),
    )
    for attempt in ((background, logo), (None, logo), (None, None)):
        try:
            return render_share_image(article.title, site.title, byline, date_text, style, *attempt)
        except Exception as exc:  # an undecodable or hostile image: try without it
            log.warning(
                "share image for %s: dropping an image that will not decode: %s",
                article.id,
                type(exc).__name__,
            )
    raise AssertionError("unreachable: the plain background always renders")


@dataclass(frozen=True)
class BuiltCard:
    """What building the card did: whether it stored one for the article's current version,
    and whether the article's posts are due for the card check now (asked only `crawled`)."""

    stored: bool
    posts_due: bool = False


def build_card(
    factory: sessionmaker[Session],
    article_id: str,
    site_source: SiteSource,
    base_url: str,
    templates_dir: Path,
    policy: ImagePolicy,
    now: datetime,
    crawled: bool = False,
) -> BuiltCard | None:
    """Render and store the card and share image for the article's current version; None if
    the article is gone. `crawled`: some channel's platform crawls cards (cardchecks.due)."""
    with factory() as session:
        article = session.get(Article, article_id, options=BODY_UNREAD)
        if article is None:
            return None
        session.expunge(article)
        site = site_in(site_source, session)
    image = None
    if article.status == ArticleStatus.PUBLISHED:
        image = share_image(article, site, policy)  # network and CPU: outside any lock
    with factory.begin() as session:
        stored = _store(session, article, site, base_url, templates_dir, image, now)
        return BuiltCard(stored, stored and crawled and cardchecks.due(session, article_id))


def _store(
    session: Session,
    article: Article,
    site: SiteConfig,
    base_url: str,
    templates_dir: Path,
    image: ShareImage | None,
    now: datetime,
) -> bool:
    current = session.scalar(
        select(Article.version).where(Article.id == article.id).with_for_update()
    )
    if current != article.version:
        return False  # the article changed meanwhile; that change's own task renders the card
    if image is not None:
        page, meta = render_card(article, site, base_url, templates_dir, image)
        card = session.get(Card, article.id) or Card(article_id=article.id)
        card.page_html, card.meta_html = page, meta
        card.etag = '"' + hashlib.sha256(page.encode()).hexdigest()[:40] + '"'
        card.image, card.image_type, card.image_hash = (
            image.data,
            image.media_type,
            image.content_hash,
        )
        card.updated_at = now
        session.add(card)
    session.execute(
        update(Article)
        .where(Article.id == article.id, Article.card_version < article.version)
        .values(card_version=article.version)
    )
    return True
