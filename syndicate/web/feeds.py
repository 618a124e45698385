"""Feed routes: stored bytes only, with validators and gzip; a request never renders a feed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from syndicate.feeds.scopes import FORMATS, SITE, document_key
from syndicate.models import Feed
from syndicate.templating import html_environment
from syndicate.web.conditional import cached_response
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError
from syndicate.web.feedcache import FeedCache

router = APIRouter()


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*") and params.replace(" ", "") not in (
            "q=0",
            "q=0.0",
        ):
            return True
    return False


@router.get("/feeds", response_class=HTMLResponse)
def feeds_index(request: Request, runtime: AppRuntime, session: DbSession) -> HTMLResponse:
    base = runtime.settings.base_url
    scopes = session.scalars(select(Feed).order_by(Feed.kind, Feed.name)).all()
    feeds = [
        {
            "name": feed.name if feed.scope != SITE else runtime.config.site.title,
            "kind": feed.kind,
            "formats": [
                (f, FORMATS[f], f"{base}/feeds/{document_key(feed.scope, f)}") for f in FORMATS
            ],
        }
        for feed in scopes
    ]
    html = html_environment(runtime.settings.templates_dir).get_template("feeds/index.html.j2")
    return HTMLResponse(html.render(site=runtime.config.site, feeds=feeds))


@router.api_route("/feeds/{key:path}", methods=["GET", "HEAD"])
def feed_document(key: str, request: Request, runtime: AppRuntime) -> Response:
    cache: FeedCache = request.app.state.feed_cache
    document = cache.get(key)
    if document is None:
        raise ApiError(404, "no such feed")
    self_url = f"{runtime.settings.base_url}/feeds/{key}"
    links = [f'<{hub}>; rel="hub"' for hub in runtime.config.site.websub_hubs]
    headers = {"Link": ", ".join([*links, f'<{self_url}>; rel="self"']), "Vary": "Accept-Encoding"}
    body, etag = document.body, document.etag
    if accepts_gzip(request) and document.body_gzip:
        body, etag = document.body_gzip, document.etag[:-1] + '-gzip"'
        headers["Content-Encoding"] = "gzip"
    return cached_response(
        request,
        body,
        document.content_type,
        etag,
        document.last_modified,
        runtime.settings.feed_max_age,
        headers,
        also_matches=(document.etag,),
    )
