"""Count webhook answers by endpoint and status, for /metrics."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.metrics import BufferedCounter

HOOKS = "/hooks/"


class CountWebhooks:
    def __init__(self, app: ASGIApp, counter: BufferedCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(HOOKS):
            await self.app(scope, receive, send)
            return
        endpoint = path[len(HOOKS) :].strip("/") or "?"

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.counter.add(f"{endpoint}|{message['status']}")
            await send(message)

        await self.app(scope, receive, counted)
