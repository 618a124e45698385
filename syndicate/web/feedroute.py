"""GET and HEAD /feeds/…, the requests most of a newsroom's traffic is made of, answered from
the web process's FeedCache by plain ASGI in front of the app's routing and middleware (which
cost several times what answering does). A feed it does not have goes on to the app, whose
route answers the JSON 404; every other request goes on untouched."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from syndicate.web.conditional import conditions_of
from syndicate.web.errors import error_response
from syndicate.web.feedanswers import FeedResponder
from syndicate.web.limits import head_size

log = logging.getLogger(__name__)
PREFIX = "/feeds/"


class FeedRoute:
    def __init__(self, app: ASGIApp, responder: FeedResponder, max_head_bytes: int) -> None:
        self.app = app
        self.responder = responder
        self.max_head_bytes = max_head_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        cache = self.responder.cache
        try:
            feed = cache.peek(key) or await run_in_threadpool(cache.get, key)
        except SQLAlchemyError as exc:
            log.warning("feed %s unavailable: %s", key, type(exc).__name__)
            unavailable = error_response(
                503, "the feeds are unavailable; try again shortly", headers={"Retry-After": "5"}
            )
            await unavailable(scope, receive, send)
            return
        if feed is None:
            await self.app(scope, receive, send)
            return
        answer = self.responder.answer(scope["method"], key, feed, conditions_of(scope["headers"]))
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})

    def _key(self, scope: Scope) -> str | None:
        """The stored feed a request is for, if this route answers it."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            return None
        key = path[len(PREFIX) :]
        if not self.responder.is_feed(key) or head_size(scope) > self.max_head_bytes:
            return None  # the app answers: 404, or 431
        return key
