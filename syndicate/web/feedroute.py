"""GET and HEAD /feeds/…, the requests most of a newsroom's traffic is made of, answered from
the web process's FeedCache by plain ASGI before the app's own layers (FastAPI's, Starlette's,
the routing and the middleware, which cost several times what answering does). A feed it does
not have goes on to the app, whose route answers the JSON 404; so does every other request."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from syndicate.web.conditional import conditions_of
from syndicate.web.errors import error_response
from syndicate.web.feedanswers import FeedResponder
from syndicate.web.limits import head_size

log = logging.getLogger(__name__)
PREFIX = "/feeds/"


class FeedRoute:
    def __init__(self, responder: FeedResponder, max_head_bytes: int) -> None:
        self.responder = responder
        self.max_head_bytes = max_head_bytes

    async def answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request if it is for a stored feed; False leaves it to the app."""
        key = self._key(scope)
        if key is None:
            return False
        try:
            return await self._answer(key, scope, receive, send)
        except Exception:
            # A bug, answered as the app answers its own: logged, and a JSON 500.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await error_response(500, "internal error; it has been logged")(scope, receive, send)
            return True

    async def _answer(self, key: str, scope: Scope, receive: Receive, send: Send) -> bool:
        cache = self.responder.cache
        try:
            feed = cache.peek(key) or await run_in_threadpool(cache.get, key)
        except SQLAlchemyError as exc:
            log.warning("feed %s unavailable: %s", key, type(exc).__name__)
            unavailable = error_response(
                503, "the feeds are unavailable; try again shortly", headers={"Retry-After": "5"}
            )
            await unavailable(scope, receive, send)
            return True
        if feed is None:
            return False
        answer = self.responder.answer(scope["method"], key, feed, conditions_of(scope["headers"]))
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})
        return True

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
