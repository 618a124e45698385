"""Limits every request is held to before any route sees it: the size of its head (431) and of
its body (413), whether the body's length was declared or it arrives in chunks."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.web.errors import ERROR_CODES


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes the limit; answered 413 like any HTTPException,
    even by routes that read their body through FastAPI."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes", {"Connection": "close"})


def head_size(scope: Scope) -> int:
    """The request head's size as sent: request line, and each header with its ': ' and CRLF."""
    line = len(scope["method"]) + len(scope.get("raw_path") or b"") + 12
    query = scope.get("query_string") or b""
    line += len(query) + 1 if query else 0
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"]) + 2


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class RequestLimits:
    def __init__(self, app: ASGIApp, max_head_bytes: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_head = max_head_bytes
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if head_size(scope) > self.max_head:
            await refuse(send, 431, f"the request's headers are larger than {self.max_head} bytes")
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_body:
            await refuse(send, 413, f"the body is larger than {self.max_body} bytes")
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, counted, send)


async def refuse(send: Send, status: int, message: str) -> None:
    body = b'{"error":"%s","message":"%s"}' % (
        ERROR_CODES[status].encode(),
        message.encode("ascii"),
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
