"""The home page: what the installation publishes, whether it is healthy, and where to go."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from syndicate.feeds.scopes import FORMATS, SITE, document_key
from syndicate.models import Feed
from syndicate.users import admin_exists
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.ui.session import render

router = APIRouter(include_in_schema=False)
NAMES = {"rss.xml": "RSS", "atom.xml": "Atom", "feed.json": "JSON Feed"}


@router.get("/")
def home(request: Request, runtime: AppRuntime, session: DbSession) -> Response:
    if not admin_exists(session):
        return RedirectResponse("/setup", status_code=303)
    base = runtime.settings.base_url
    site_feeds = [(NAMES[f], f"{base}/feeds/{document_key(SITE, f)}") for f in FORMATS]
    scoped = session.scalar(select(func.count()).select_from(Feed).where(Feed.scope != SITE))
    return render(
        runtime,
        "home.html.j2",
        None,
        checks=request.app.state.health_checks(),
        site_feeds=site_feeds,
        scoped=scoped or 0,
        docs=runtime.settings.public_docs,
    )
