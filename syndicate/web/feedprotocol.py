"""uvicorn's HTTP protocol, with feed requests answered as soon as their headers are parsed.

A feed that is in the process's memory is answered right there, with the same bytes and
headers the ASGI layer would send (both go through `FeedResponder`), without creating an ASGI
scope, a task and a pass through the middleware for what is most of a newsroom's traffic.
Everything else, and any feed not in memory, takes uvicorn's usual way to the app.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syndicate.web.feedserver import FeedResponder


class _Answered:
    """Stands in for uvicorn's request cycle once a request has been answered here."""

    response_complete = True
    keep_alive = True
    disconnected = False

    class message_event:
        @staticmethod
        def set() -> None:
            return None


ANSWERED: Any = _Answered()


def responder_of(app: Any) -> FeedResponder | None:
    """The app's `FeedResponder`, found under whatever middleware uvicorn wrapped it in."""
    for _ in range(10):
        state = getattr(app, "state", None)
        if state is not None and hasattr(state, "feed_responder"):
            responder: FeedResponder = state.feed_responder
            return responder
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class FeedHttpProtocol(HttpToolsProtocol):
    responder: FeedResponder | bool | None = False  # looked up on a connection's first request
    # The server's default headers (Date, Server) as a header block, for the list they came from.
    _defaults: tuple[object, bytes] = (None, b"")
    # uvicorn arms a new keep-alive timer after every response and cancels it when the next
    # request arrives, which costs more than answering a 304 does. Here a connection keeps one
    # timer, which checks when it fires whether the connection has been idle long enough.
    _idle_since: float | None = None

    def on_message_begin(self) -> None:
        # uvicorn builds its ASGI scope here; that waits until a request turns out not to be
        # a feed this protocol answers.
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None  # data came in, or a response is done: not idle

    def on_response_complete(self) -> None:
        # uvicorn's own, except for the keep-alive timer.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive_due
            )

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        if self._idle_since is None:
            return  # a request is in progress; its response arms the timer again
        left = self._idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_due)
        else:
            self.timeout_keep_alive_handler()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        if self._answer_feed():
            return
        url, headers, expect_100_continue = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()
        self.url, self.expect_100_continue = url, expect_100_continue
        self.headers.extend(headers)  # the list the new scope holds
        super().on_headers_complete()

    def _default_headers(self) -> bytes:
        defaults = self.server_state.default_headers
        if self._defaults[0] is not defaults:
            block = b"".join(b"%s: %s\r\n" % pair for pair in defaults)
            FeedHttpProtocol._defaults = (defaults, block)
        return self._defaults[1]

    def _answer_feed(self) -> bool:
        url = self.url
        if not url.startswith(b"/feeds/") or b"?" in url or b"%" in url:
            return False
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # a pipelined request waits its turn behind the one in progress
        if self.flow.write_paused or self.parser.should_upgrade():
            return False
        if self.responder is False:
            self.responder = responder_of(self.app)
        responder = self.responder if isinstance(self.responder, FeedResponder) else None
        method = self.parser.get_method().decode("ascii")
        key = responder.key(method, url.decode("ascii")) if responder is not None else None
        feed = responder.cache.peek(key) if responder is not None and key is not None else None
        if feed is None or responder is None or key is None:
            return False
        answer = responder.answer(method, key, feed, self.headers)
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        content = [STATUS_LINE[answer.status], self._default_headers(), answer.head]
        if not keep_alive:
            content.append(b"connection: close\r\n")
        content.extend((b"\r\n", answer.body))
        self.transport.write(b"".join(content))
        self.cycle = ANSWERED
        if keep_alive:
            self.on_response_complete()
        else:
            self.server_state.total_requests += 1
            self.transport.close()
        return True
