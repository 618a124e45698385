"""Which feeds an article belongs to: the site, each of its tags, authors and its section."""

from __future__ import annotations

import re
from dataclasses import dataclass

from syndicate.models import Article, ArticleStatus
from syndicate.slugs import slugify

SITE = "site"
FORMATS = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
KIND_PREFIX = {"tag": "tags", "author": "authors", "section": "sections"}
# Every path under /feeds/ a stored document can have; nothing else is ever looked up.
_DOCUMENT_KEY = re.compile(
    r"(?:(?:tags|authors|sections)/[\w-]{1,100}/)?"
    r"(?:archive/[1-9][0-9]{0,8}/)?"
    r"(?:rss\.xml|atom\.xml|feed\.json)"
)


@dataclass(frozen=True)
class Scope:
    key: str  # "site", "tags/clinical-trials"
    kind: str  # site | tag | author | section
    name: str


def scope_for(kind: str, name: str) -> Scope | None:
    slug = slugify(name)
    return Scope(f"{KIND_PREFIX[kind]}/{slug}", kind, name) if slug else None


def scopes_of(article: Article, site_title: str) -> list[Scope]:
    """Every scope a published article is in; none for an unpublished one."""
    if article.status != ArticleStatus.PUBLISHED or article.revision == 0:
        return []
    found = [Scope(SITE, "site", site_title)]
    names = [("tag", t) for t in article.tags] + [("author", a["name"]) for a in article.authors]
    if article.section:
        names.append(("section", article.section))
    for kind, name in names:
        scope = scope_for(kind, name)
        if scope and scope.key not in {s.key for s in found}:
            found.append(scope)
    return found


def document_key(scope: str, filename: str, page: int | None = None) -> str:
    """The path under /feeds/ that serves a scope's document (or one of its archive pages)."""
    prefix = "" if scope == SITE else f"{scope}/"
    archive = f"archive/{page}/" if page else ""
    return f"{prefix}{archive}{filename}"


def is_document_key(key: str) -> bool:
    """Whether `key` has the shape of a stored feed's path (it may still not exist)."""
    return _DOCUMENT_KEY.fullmatch(key) is not None
