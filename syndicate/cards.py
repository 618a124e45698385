"""An article's Open Graph card: the meta tags link previews read, rendered from Jinja2."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from syndicate.config import SiteConfig
from syndicate.feeds.scopes import FORMATS, SITE, Scope, document_key, scopes_of
from syndicate.models import Article, ArticleStatus, Card
from syndicate.templating import html_environment

DESCRIPTION_LENGTH = 200


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


FORMAT_NAMES = {"rss.xml": "RSS", "atom.xml": "Atom", "feed.json": "JSON Feed"}


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


def card_context(article: Article, site: SiteConfig, base_url: str) -> dict[str, Any]:
    return {
        "site": site,
        "article": article,
        "description": trim_description(article.summary or article.title),
        "card_url": f"{base_url}/cards/{article.id}",
        "feeds": feed_links(article, site, base_url),
    }


def render_card(
    article: Article, site: SiteConfig, base_url: str, templates_dir: Path
) -> tuple[str, str]:
    """The standalone card page and the head snippet, from the same context."""
    env = html_environment(templates_dir)
    context = card_context(article, site, base_url)
    meta = env.get_template("cards/meta.html.j2").render(context)
    page = env.get_template("cards/page.html.j2").render(context, meta=Markup(meta))
    return page, meta


def build_card(
    session: Session,
    article_id: str,
    site: SiteConfig,
    base_url: str,
    templates_dir: Path,
    now: datetime,
) -> bool:
    """Render and store the card for the article's current revision; False if it is gone."""
    article = session.get(Article, article_id)
    if article is None:
        return False
    version = article.version
    if article.status == ArticleStatus.PUBLISHED:
        page, meta = render_card(article, site, base_url, templates_dir)
        card = session.get(Card, article_id) or Card(article_id=article_id)
        card.page_html, card.meta_html = page, meta
        card.etag = '"' + hashlib.sha256(page.encode()).hexdigest()[:40] + '"'
        card.updated_at = now
        session.add(card)
    article.card_version = max(article.card_version, version)
    return True
