"""uvicorn's HTTP protocol with the limits a server facing strangers needs, so that
`syndicate serve` is safe without a proxy in front of it:

- a request's head (request line and headers) may not grow past `max_header_bytes` while it
  is still arriving: 431, and the connection is closed (the app checks the exact size of a
  head that arrived whole);
- a request's head must arrive within `header_timeout` seconds of its first byte (or of the
  connection opening), and its body within `body_timeout` seconds of its head: 408, or the
  connection is closed if a response is under way.

Only asyncio's protocol methods and the parser's callbacks are overridden, each calling
uvicorn's own first or after.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syndicate.settings import get_settings
from syndicate.web.errors import ERROR_CODES

MESSAGES = {
    408: "the request did not arrive in time",
    431: "the request's headers are too large",
}


def refusal(status: int) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, with a JSON error body."""
    body = json.dumps({"error": ERROR_CODES[status], "message": MESSAGES[status]}).encode()
    return b"".join(
        [
            STATUS_LINE[status],
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class GuardedHttpProtocol(HttpToolsProtocol):
    # None: from the settings (SYNDICATE_HTTP_*); a subclass may fix its own.
    max_header_bytes: int | None = None
    header_timeout: float | None = None
    body_timeout: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_limit = self.max_header_bytes or settings.http_max_header_bytes
        self.header_seconds = self.header_timeout or settings.http_header_timeout_seconds
        self.body_seconds = self.body_timeout or settings.http_body_timeout_seconds
        self._reading_head = True  # from the end of one request until the next one's head
        self._head_bytes = 0
        self._head_done = False  # a head was completed in the data being parsed
        # When the current wait (for a head, or a body) runs out; None while not waiting.
        self._due: float | None = None
        # One timer per connection, re-armed only when it fires early: a busy keep-alive
        # connection sets a number per request instead of making and cancelling two timers.
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        counting = self._reading_head
        if counting and self._due is None:  # the first bytes after an idle keep-alive
            self._arm(self.header_seconds)
        self._head_done = False
        super().data_received(data)
        if counting and self._reading_head and not self._head_done:
            # Still inside the same head after all of this data.
            self._head_bytes += len(data)
            if self._head_bytes > self.header_limit:
                self._refuse(431)

    def on_headers_complete(self) -> None:
        self._reading_head, self._head_bytes, self._head_done = False, 0, True
        self._arm(self.body_seconds)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._reading_head = True
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._due = self.loop.time() + seconds
        if self._timer is None or self._due < self._timer_at:
            self._schedule(self._due)

    def _disarm(self) -> None:
        self._due = None

    def _schedule(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = self.loop.call_at(at, self._check), at

    def _check(self) -> None:
        self._timer = None
        if self._due is None:
            return
        if self.loop.time() < self._due:
            self._schedule(self._due)
            return
        self._due = None
        self._refuse(408)

    def _refuse(self, status: int) -> None:
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        if not answering and (status == 431 or self._reading_head):
            self.transport.write(refusal(status))
        self.transport.close()
