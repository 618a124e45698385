"""Count webhook answers by endpoint and status, for /metrics.

Labels come from a fixed set: a path nobody routes is counted as `other`, so requests to made-up
URLs can never add fields to the metrics hash in Redis (which is also the Celery broker)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.cms import CMSS
from syndicate.metrics import BufferedCounter

HOOKS = "/hooks/"
ENDPOINTS = frozenset(CMSS)
OTHER = "other"


def endpoint_label(path: str) -> str:
    """The metric label for a webhook path: its endpoint's name, or `other`."""
    name = path[len(HOOKS) :].strip("/")
    return name if name in ENDPOINTS else OTHER


class CountWebhooks:
    def __init__(self, app: ASGIApp, counter: BufferedCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(HOOKS):
            await self.app(scope, receive, send)
            return
        endpoint = endpoint_label(path)

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.counter.add(f"{endpoint}|{int(message['status'])}")
            await send(message)

        await self.app(scope, receive, counted)
