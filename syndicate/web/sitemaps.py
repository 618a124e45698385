"""Sitemap routes: Google News's, and the index of every article with its pages. Rendered
from the database on request, answered with validators, and named for edge caches by the
`sitemaps` key, which every feed change purges."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Path, Request, Response

from syndicate import sitemaps
from syndicate.models import utcnow
from syndicate.purging import SITEMAPS
from syndicate.web.conditional import cached_response
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.edge import edge_headers
from syndicate.web.errors import ApiError

router = APIRouter(tags=["sitemaps"])
XML = "application/xml; charset=utf-8"


def _answer(request: Request, runtime: AppRuntime, sitemap: sitemaps.Sitemap) -> Response:
    etag = '"' + hashlib.sha256(sitemap.body).hexdigest()[:40] + '"'
    cache_control = f"public, max-age={runtime.settings.feed_max_age}"
    edges = edge_headers([SITEMAPS], runtime.settings.edge_max_age)
    return cached_response(request, sitemap.body, XML, etag, sitemap.modified, cache_control, edges)


@router.api_route("/sitemaps/news.xml", methods=["GET", "HEAD"])
def news(request: Request, session: DbSession, runtime: AppRuntime) -> Response:
    """Google News: the articles published in the last 48 hours, newest first, at most 1,000."""
    return _answer(
        request, runtime, sitemaps.news_sitemap(session, runtime.site(session), utcnow())
    )


@router.api_route("/sitemaps/articles.xml", methods=["GET", "HEAD"])
def articles(request: Request, session: DbSession, runtime: AppRuntime) -> Response:
    """A sitemap index of every published article's pages."""
    index = sitemaps.sitemap_index(session, runtime.settings.base_url, utcnow())
    return _answer(request, runtime, index)


@router.api_route("/sitemaps/articles/{page}.xml", methods=["GET", "HEAD"])
def articles_page(
    request: Request,
    session: DbSession,
    runtime: AppRuntime,
    page: int = Path(ge=1, le=100_000),
) -> Response:
    """One page of up to 50,000 published articles, oldest first, with when each changed."""
    found = sitemaps.articles_page(session, page)
    if found is None:
        raise ApiError(404, f"no sitemap page {page}")
    return _answer(request, runtime, found)
