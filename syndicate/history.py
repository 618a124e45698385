"""Where `syndicate import` reads a publication's whole history, a page at a time, newest
first: a feed and the archives it links to (RFC 5005 `prev-archive`), WordPress's paged feeds
(`?paged=N`), the WordPress REST API (`/wp-json/wp/v2/posts?page=N`) and Ghost's Content API
(`/ghost/api/content/posts/?page=N`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from pydantic import ValidationError

from syndicate.cms import ArticleIn
from syndicate.cms.ghost import article_data as ghost_article
from syndicate.cms.wordpress import article_data as wordpress_article
from syndicate.http import TIMEOUT, make_session
from syndicate.importer import (
    FeedImportError,
    entry_article,
    normal_language,
    read_feed,
    skipped_because,
)

# However a source links its pages, an import stops after this many.
MAX_PAGES = 10_000
API_PAGE_SIZE = 100


@dataclass
class Page:
    url: str
    articles: list[ArticleIn] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    language: str | None = None


def kind_of(source: str) -> str:
    """Which API a source address speaks: `wordpress`, `ghost` or `feed`."""
    parts = urlsplit(source)
    route = dict(parse_qsl(parts.query)).get("rest_route", "")
    if "/wp-json/wp/v2/" in parts.path or route.startswith("/wp/v2/"):
        return "wordpress"
    if "/ghost/api/content/" in parts.path:
        return "ghost"
    return "feed"


def pages(
    source: str,
    language: str | None,
    fallback_language: str | None = None,
    http: requests.Session | None = None,
    ghost_key: str = "",
) -> Iterator[Page]:
    """The source's pages. `language` is the articles' language whatever the source says;
    `fallback_language` is theirs where the source says none."""
    session = http or make_session()
    kind = kind_of(source)
    if kind == "feed":
        return _feed_pages(source, language, fallback_language, session)
    if kind == "ghost" and ghost_key:
        source = with_query(source, key=ghost_key)
    read = _wordpress_page if kind == "wordpress" else _ghost_page
    return _in_language(_api_pages(source, session, read), language or fallback_language)


def _in_language(source_pages: Iterator[Page], language: str | None) -> Iterator[Page]:
    tag = normal_language(language)
    for page in source_pages:
        if tag:
            page.articles = [
                a if a.language else a.model_copy(update={"language": tag}) for a in page.articles
            ]
        yield page


def with_query(url: str, **params: str | int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


def _feed_pages(
    source: str, language: str | None, fallback: str | None, http: requests.Session
) -> Iterator[Page]:
    """The feed, then each archive it links to; a WordPress feed without archive links is
    read page by page (`paged=2`, `3`, …) until WordPress has no more."""
    url: str | None = source
    seen: set[str] = set()
    ids: set[str] = set()
    number = 1
    while url and url not in seen and len(seen) < MAX_PAGES:
        seen.add(url)
        try:
            parsed = read_feed(url, http)
        except FeedImportError as exc:
            if number > 1 and exc.status in (404, 410):
                return  # past WordPress's last page
            raise
        if not parsed.entries:
            return
        lang = normal_language(language or parsed.feed.get("language") or fallback)
        page = Page(url, language=lang)
        for entry in parsed.entries:
            found = entry_article(entry, lang)
            if isinstance(found, str):
                page.skipped.append(found)
            elif found.id not in ids:
                page.articles.append(found)
        if number > 1 and not page.articles:
            return  # a server that ignores `paged` sends the first page again
        ids.update(a.id for a in page.articles)
        yield page
        links = parsed.feed.get("links", [])
        archive = next((x.get("href") for x in links if x.get("rel") == "prev-archive"), None)
        if archive:
            url = urljoin(url, archive)
        elif "wordpress.org" in str(parsed.feed.get("generator", "")) and "://" in source:
            number += 1
            url = with_query(source, paged=number)
        else:
            url = None


def _api_pages(
    source: str, http: requests.Session, read: Callable[[Any], tuple[list[dict[str, Any]], bool]]
) -> Iterator[Page]:
    """An API's pages of posts, `page=1, 2, …`, until it says there are no more."""
    for number in range(1, MAX_PAGES + 1):
        url = _page_url(source, number)
        try:
            response = http.get(url, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise FeedImportError(f"could not fetch {url}: {exc}") from exc
        if number > 1 and response.status_code == 400:
            return  # WordPress: rest_post_invalid_page_number
        if response.status_code >= 400:
            status = response.status_code
            raise FeedImportError(f"could not fetch {url}: HTTP {status}", status)
        try:
            posts, more = read(response)
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedImportError(f"{url} did not answer with a page of posts: {exc}") from exc
        page = Page(url)
        for post in posts:
            try:
                page.articles.append(ArticleIn.model_validate(_mapped(source, post)))
            except ValidationError as exc:
                where = post.get("link") or post.get("url") or post.get("id")
                page.skipped.append(f"{where}: {skipped_because(exc)}")
        yield page
        if not more or not posts:
            return


def _page_url(source: str, number: int) -> str:
    if kind_of(source) == "wordpress":
        return with_query(source, page=number, per_page=API_PAGE_SIZE, _embed=1)
    return with_query(
        source, page=number, limit=API_PAGE_SIZE, include="tags,authors", formats="html"
    )


def _mapped(source: str, post: dict[str, Any]) -> dict[str, Any]:
    return wordpress_article(post) if kind_of(source) == "wordpress" else ghost_article(post)


def _wordpress_page(response: requests.Response) -> tuple[list[dict[str, Any]], bool]:
    posts = response.json()
    if not isinstance(posts, list):
        raise ValueError("expected a list of posts")
    number = int(dict(parse_qsl(urlsplit(response.url).query)).get("page", "1"))
    total = int(response.headers.get("X-WP-TotalPages", "0") or 0)
    return posts, number < total


def _ghost_page(response: requests.Response) -> tuple[list[dict[str, Any]], bool]:
    body = response.json()
    pagination = body["meta"]["pagination"]
    return list(body["posts"]), bool(pagination.get("next"))


def since_and_limit(
    source_pages: Iterator[Page], since: datetime | None, limit: int | None
) -> Iterator[Page]:
    """Pages cut to articles published at or after `since`, and to the newest `limit`; no page
    is fetched once they are reached."""
    left = limit
    for page in source_pages:
        reached = since is not None and any(a.published_at < since for a in page.articles)
        kept = [a for a in page.articles if since is None or a.published_at >= since]
        if left is not None:
            kept = sorted(kept, key=lambda a: a.published_at, reverse=True)[:left]
            left -= len(kept)
        page.articles = kept
        yield page
        if reached or (left is not None and left <= 0):
            return
