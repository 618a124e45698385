"""Feed routes: stored bytes only, with validators and gzip; a request never renders a feed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from syndicate.feeds.scopes import FORMATS, SITE, document_key
from syndicate.models import Feed
from syndicate.templating import html_environment
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError

router = APIRouter()


@router.get("/feeds", response_class=HTMLResponse)
def feeds_index(request: Request, runtime: AppRuntime, session: DbSession) -> HTMLResponse:
    base = runtime.settings.base_url
    site = runtime.site(session)
    scopes = session.scalars(select(Feed).order_by(Feed.kind, Feed.name)).all()
    feeds = [
        {
            "name": feed.name if feed.scope != SITE else site.title,
            "kind": feed.kind,
            "formats": [
                (f, FORMATS[f], f"{base}/feeds/{document_key(feed.scope, f)}") for f in FORMATS
            ],
        }
        for feed in scopes
    ]
    html = html_environment(runtime.html_templates).get_template("feeds/index.html.j2")
    return HTMLResponse(html.render(site=site, feeds=feeds))


@router.api_route("/feeds/{key:path}", methods=["GET", "HEAD"])
def feed_document(key: str) -> Response:
    """A stored feed: RSS (`rss.xml`), Atom (`atom.xml`) or JSON Feed (`feed.json`), for the
    site, `tags/<slug>/`, `authors/<slug>/` or `sections/<slug>/`, and their `archive/<n>/`
    pages, with ETag, Last-Modified, 304, HEAD and gzip. Stored feeds are answered by
    `web.feedroute` in front of the app; a request that reaches this route found none."""
    raise ApiError(404, "no such feed")
