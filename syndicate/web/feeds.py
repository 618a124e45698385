"""Feed routes: stored bytes only, with validators; a request never renders a feed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from syndicate.feeds import store
from syndicate.web.conditional import cached_response
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError

router = APIRouter()


@router.api_route("/feeds/rss.xml", methods=["GET", "HEAD"])
def site_rss(request: Request, runtime: AppRuntime, session: DbSession) -> Response:
    document = store.load(session, "rss.xml")
    if document is None:
        raise ApiError(404, "this feed has not been built yet")
    self_url = f"{runtime.settings.base_url}/feeds/rss.xml"
    return cached_response(
        request,
        document.body,
        document.content_type,
        document.etag,
        document.last_modified,
        runtime.settings.feed_max_age,
        {"Link": f'<{self_url}>; rel="self"'},
    )
