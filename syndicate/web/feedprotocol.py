"""uvicorn's HTTP protocol, with feed requests answered as soon as their headers are parsed.

A feed that is in the process's memory is answered right there, with the same bytes and
headers the ASGI layer would send (both go through `FeedResponder`), without creating an ASGI
scope, a task and a pass through the middleware for what is most of a newsroom's traffic.
Everything else, and any feed not in memory, takes uvicorn's usual way to the app.

Feed readers poll with the same request again and again (the same path, validators and
headers), so a request this protocol has answered is remembered byte for byte, with the head
of its answer. When exactly those bytes arrive again, at the start of a request, they are
answered without being parsed, for as long as the feed and the server's Date header are the
ones the answer was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syndicate.web.feedcache import CachedFeed
from syndicate.web.feedserver import Conditions, FeedResponder, conditions_of

# Requests remembered per responder, and the largest remembered, in bytes. Readers' requests
# are a few hundred bytes; the memory is cleared when it is full.
REMEMBERED = 2048
LARGEST_REMEMBERED = 2048


@dataclass(slots=True)
class _Request:
    """A feed request as it was parsed, and the answer last sent to it."""

    method: str
    key: str
    conditions: Conditions
    keep_alive: bool
    feed: CachedFeed | None = None  # the feed the answer was made from
    defaults: object = None  # the server's default headers (with Date) it was made with
    status: int = 0
    head: bytes = b""
    body: bytes = b""


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
    responder: FeedResponder | None = None
    requests: dict[bytes, _Request] | None = None  # those remembered for the responder
    # The app last connected to, with its responder, as connections to one app follow each other.
    _app_responder: tuple[object, FeedResponder | None] = (None, None)
    # The server's default headers (Date, Server) as a header block, for the list they came from.
    _defaults: tuple[object, bytes] = (None, b"")
    # uvicorn arms a new keep-alive timer after every response and cancels it when the next
    # request arrives, which costs more than answering a 304 does. Here a connection keeps one
    # timer, which checks when it fires whether the connection has been idle long enough.
    _idle_since: float | None = None
    # Whether the parser is inside a request; the requests it began within the data being
    # parsed, and the one of them answered here.
    _in_request = False
    _begun = 0
    _answered: _Request | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        app, responder = self._app_responder
        if app is not self.app:
            responder = responder_of(self.app)
            FeedHttpProtocol._app_responder = (self.app, responder)
        self.responder = responder
        self.requests = responder.remembered if responder is not None else None

    def data_received(self, data: bytes) -> None:
        self._idle_since = None
        requests = self.requests if len(data) <= LARGEST_REMEMBERED else None
        if requests is None:
            super().data_received(data)
            return
        if not self._in_request:
            request = requests.get(data)
            if request is not None and self._may_answer() and self._send(request):
                return
        self._begun, self._answered = 0, None
        super().data_received(data)
        request = self._answered
        if (
            request is not None
            and self._begun == 1
            and not self._in_request
            and not self.transport.is_closing()
        ):
            # These bytes were exactly one request, and it was answered here.
            if len(requests) >= REMEMBERED:
                requests.clear()
            requests[data] = request

    def on_message_begin(self) -> None:
        # uvicorn builds its ASGI scope here; that waits until a request turns out not to be
        # a feed this protocol answers.
        self._in_request = True
        self._begun += 1
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def on_message_complete(self) -> None:
        self._in_request = False
        super().on_message_complete()

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

    def _may_answer(self) -> bool:
        """Whether a request can be answered now, rather than by uvicorn's way."""
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # a pipelined request waits its turn behind the one in progress
        return not self.flow.write_paused

    def _answer_feed(self) -> bool:
        url = self.url
        if not url.startswith(b"/feeds/") or b"?" in url or b"%" in url:
            return False
        if not self._may_answer() or self.parser.should_upgrade():
            return False
        if self.responder is None:
            return False
        method = self.parser.get_method().decode("ascii")
        key = self.responder.key(method, url.decode("ascii"))
        if key is None:
            return False
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        request = _Request(method, key, conditions_of(self.headers), keep_alive)
        if not self._send(request):
            return False
        self._answered = request
        return True

    def _send(self, request: _Request) -> bool:
        """Answer `request` from the feed in memory; False if the feed is not there."""
        responder = self.responder
        assert responder is not None
        feed = responder.cache.peek(request.key)
        if feed is None:
            return False
        defaults = self.server_state.default_headers
        if request.feed is not feed or request.defaults is not defaults:
            answer = responder.answer_to(request.method, request.key, feed, request.conditions)
            head = [STATUS_LINE[answer.status], self._default_headers(), answer.head]
            if not request.keep_alive:
                head.append(b"connection: close\r\n")
            head.append(b"\r\n")
            request.feed, request.defaults, request.status = feed, defaults, answer.status
            request.head, request.body = b"".join(head), answer.body
        else:
            responder.count(request.status)
        if request.body:
            self.transport.writelines((request.head, request.body))
        else:
            self.transport.write(request.head)
        self.cycle = ANSWERED
        if request.keep_alive:
            self.on_response_complete()
        else:
            self.server_state.total_requests += 1
            self.transport.close()
        return True
