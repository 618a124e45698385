"""Feed routes: stored bytes only, with validators and gzip; a request never renders a feed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from syndicate.feeds.scopes import FORMATS, SITE, document_key
from syndicate.models import Feed
from syndicate.templating import html_environment
from syndicate.web.conditional import PreparedResponse, conditions_of
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError
from syndicate.web.feedanswers import FeedResponder

router = APIRouter()


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
    html = html_environment(runtime.html_templates).get_template("feeds/index.html.j2")
    return HTMLResponse(html.render(site=runtime.config.site, feeds=feeds))


@router.api_route("/feeds/{key:path}", methods=["GET", "HEAD"])
async def feed_document(request: Request, key: str) -> Response:
    """A stored feed: RSS (`rss.xml`), Atom (`atom.xml`) or JSON Feed (`feed.json`), for the
    site, `tags/<slug>/`, `authors/<slug>/` or `sections/<slug>/`, and their `archive/<n>/`
    pages, with ETag, Last-Modified, 304, HEAD and gzip. Answered from the web process's copy;
    only a path a stored feed can have is ever looked up."""
    responder: FeedResponder = request.app.state.feed_responder
    if not responder.is_feed(key):
        raise ApiError(404, "no such feed")
    feed = responder.cache.peek(key) or await run_in_threadpool(responder.cache.get, key)
    if feed is None:
        raise ApiError(404, "no such feed")
    answer = responder.answer(request.method, key, feed, conditions_of(request.scope["headers"]))
    return PreparedResponse(answer.status, answer.headers, answer.body)
