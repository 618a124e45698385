"""A feed in a web process's memory is answered by the HTTP protocol itself, byte for byte as
the app answers one it first reads from the database; anything else goes on to the app."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from syndicate.web.feedserver import FeedServer
from tests.client import Client, article, envelope
from tests.servers import WebServer, wait_until

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
def server(runtime: Runtime) -> Iterator[tuple[WebServer, Any]]:
    """A web process that keeps feeds in memory long enough for the test to control it."""
    patient = replace(
        runtime, settings=runtime.settings.model_copy(update={"feed_cache_seconds": 600})
    )
    app = create_app(patient)
    web = WebServer(app).start()
    yield web, app
    web.stop()


@pytest.fixture
def brief(runtime: Runtime) -> Iterator[WebServer]:
    """A web process that closes a keep-alive connection after one idle second."""
    patient = replace(
        runtime, settings=runtime.settings.model_copy(update={"feed_cache_seconds": 600})
    )
    web = WebServer(create_app(patient), timeout_keep_alive=1).start()
    yield web
    web.stop()


@pytest.fixture
def through_the_app(monkeypatch: pytest.MonkeyPatch, server: tuple[WebServer, Any]) -> list[str]:
    """The GET and HEAD requests that reached this test's app rather than being answered by
    the protocol (not those to the suite's own web server, which a WebSub hub may fetch)."""
    seen: list[str] = []
    original = FeedServer.__call__
    port = server[0].port

    async def counting(self: FeedServer, scope: Any, receive: Any, send: Any) -> None:
        ours = scope["type"] == "http" and (scope.get("server") or (None, None))[1] == port
        if ours and scope["method"] in ("GET", "HEAD"):
            seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(FeedServer, "__call__", counting)
    return seen


def raw(port: int, request: str) -> bytes:
    """One request over a fresh connection, read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode("ascii"))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def without_date(response: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]
    return lines, body


REQUESTS = {
    "plain": "GET /feeds/rss.xml HTTP/1.0\r\n\r\n",
    "gzip": "GET /feeds/atom.xml HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
    "head": "HEAD /feeds/feed.json HTTP/1.0\r\n\r\n",
    "stale": 'GET /feeds/rss.xml HTTP/1.0\r\nIf-None-Match: "not-this-one"\r\n\r\n',
}


def publish_and_wait(client: Client, web: WebServer, article_id: str, title: str) -> None:
    assert client.send(envelope(article(article_id, title=title))).status_code == 202
    wait_until(lambda: title in raw(web.port, REQUESTS["plain"]).decode("utf-8"))


def test_a_feed_in_memory_is_answered_as_the_app_answers_it(
    client: Client, server: tuple[WebServer, Any], through_the_app: list[str]
) -> None:
    web, app = server
    publish_and_wait(client, web, "fast-1", "Fast path")
    for name, request in REQUESTS.items():
        app.state.feed_cache.forget()
        through_the_app.clear()
        cold = raw(web.port, request)  # read from the database by the app
        assert len(through_the_app) == 1, name
        warm = raw(web.port, request)  # answered from memory by the protocol
        assert len(through_the_app) == 1, name
        assert without_date(warm) == without_date(cold), name
        assert cold.startswith(b"HTTP/1.1 200 OK\r\n"), name
        assert b"connection: close" in cold.lower(), name
    lines, body = without_date(raw(web.port, REQUESTS["head"]))
    assert body == b"" and any(line.startswith(b"content-length: ") for line in lines)


def test_conditional_requests_on_one_connection_get_304s_from_memory(
    client: Client, server: tuple[WebServer, Any], through_the_app: list[str]
) -> None:
    web, _app = server
    publish_and_wait(client, web, "fast-2", "Kept alive")
    head, _, _ = raw(web.port, REQUESTS["plain"]).partition(b"\r\n\r\n")
    etag = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"etag:"))
    conditional = (
        f"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag[6:].decode()}\r\n\r\n"
    )
    through_the_app.clear()
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as connection:
        # Three requests sent at once (pipelined), then a plain one closing the connection.
        connection.sendall((conditional * 3 + REQUESTS["plain"]).encode("ascii"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 304 Not Modified\r\n") == 3
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 1
    assert received.index(b"304") < received.index(b"200 OK")
    assert through_the_app == []  # all four answered from memory


def test_requests_the_protocol_does_not_know_go_on_to_the_app(
    client: Client, server: tuple[WebServer, Any], through_the_app: list[str]
) -> None:
    web, _app = server
    missing = raw(web.port, "GET /feeds/tags/no-such-tag/rss.xml HTTP/1.0\r\n\r\n")
    assert missing.startswith(b"HTTP/1.1 404 ") and b'"error"' in missing
    posted = raw(web.port, "POST /feeds/rss.xml HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
    assert posted.startswith(b"HTTP/1.1 405 ")
    assert through_the_app == ["/feeds/tags/no-such-tag/rss.xml"]


def answer_to(connection: socket.socket, request: bytes) -> bytes:
    """Send a request whose answer has no body, and read the answer's head ('' if closed)."""
    connection.sendall(request)
    received = b""
    while not received.endswith(b"\r\n\r\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def closed_by_server(connection: socket.socket) -> bool:
    connection.settimeout(5)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False


@pytest.mark.parametrize(
    ("path", "status"),
    [("/feeds/rss.xml", b"200 OK"), ("/feeds/tags/nothing-here/rss.xml", b"404 Not Found")],
    ids=["protocol", "app"],
)
def test_a_keep_alive_connection_stays_open_while_used_and_closes_once_idle(
    client: Client, brief: WebServer, path: str, status: bytes
) -> None:
    publish_and_wait(client, brief, "alive", "Still here")
    request = f"HEAD {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode("ascii")
    with socket.create_connection(("127.0.0.1", brief.port), timeout=10) as connection:
        for _ in range(12):  # 2.4 s of use, more than twice the keep-alive timeout
            assert answer_to(connection, request).startswith(b"HTTP/1.1 " + status + b"\r\n")
            time.sleep(0.2)
        started = time.monotonic()
        assert closed_by_server(connection)
        assert 0.5 < time.monotonic() - started < 3


def etag_of(web: WebServer, path: str = "/feeds/rss.xml") -> str:
    head, _, _ = raw(web.port, f"GET {path} HTTP/1.0\r\n\r\n").partition(b"\r\n\r\n")
    line = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"etag:"))
    return line[len(b"etag:") :].strip().decode("ascii")


def read_answer(connection: socket.socket, received: bytes = b"") -> tuple[bytes, bytes]:
    """One answer's head and body off a keep-alive connection, and what came after it."""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, rest = received.partition(b"\r\n\r\n")
    length = next(
        (
            int(line[15:])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(rest) < length:
        rest += connection.recv(65536)
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def date_of(answer: bytes) -> bytes:
    return next(line for line in answer.split(b"\r\n") if line.lower().startswith(b"date:"))


def test_a_request_repeated_byte_for_byte_is_answered_without_parsing_it_again(
    client: Client, server: tuple[WebServer, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    web, app = server
    publish_and_wait(client, web, "again-1", "Asked again")
    request = f"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag_of(web)}\r\n\r\n"
    parsed: list[bytes] = []
    original = HttpToolsProtocol.data_received

    def parsing(self: HttpToolsProtocol, data: bytes) -> None:
        parsed.append(data)
        original(self, data)

    monkeypatch.setattr(HttpToolsProtocol, "data_received", parsing)
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as connection:
        connection.sendall(request.encode("ascii"))
        first, _ = read_answer(connection)
        connection.sendall(request.encode("ascii"))
        second, _ = read_answer(connection)
        assert first.startswith(b"HTTP/1.1 304 ") and second == first
        assert parsed.count(request.encode("ascii")) == 1  # the second was not parsed

        time.sleep(1.2)  # the server's Date header moves on; the answer follows it
        connection.sendall(request.encode("ascii"))
        later, _ = read_answer(connection)
        assert later.startswith(b"HTTP/1.1 304 ") and date_of(later) != date_of(first)
        assert parsed.count(request.encode("ascii")) == 1

        # The feed changes: the same request now gets the new feed in full.
        publish_and_wait(client, web, "again-2", "Changed since")
        for _ in range(2):
            connection.sendall(request.encode("ascii"))
            changed, _ = read_answer(connection)
            assert changed.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"Changed since" in changed
    assert app.state.feed_responder.remembered[request.encode("ascii")].status == 200


def test_remembered_bytes_arriving_inside_a_request_are_parsed_as_part_of_it(
    client: Client, server: tuple[WebServer, Any]
) -> None:
    web, _app = server
    publish_and_wait(client, web, "inside-1", "Inside")
    request = f"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag_of(web)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.sendall(request.encode("ascii"))
        assert read_answer(connection)[0].startswith(b"HTTP/1.1 304 ")  # now remembered
        # A request for the Atom feed whose header value is cut off, then the remembered bytes:
        # together they are one request, for the Atom feed, whose ETag is not the one sent.
        connection.sendall(b"GET /feeds/atom.xml HTTP/1.1\r\nX-Note: ")
        time.sleep(0.2)
        connection.sendall(request.encode("ascii"))
        answer, rest = read_answer(connection)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"application/atom+xml" in answer
        # And the connection is where it should be: between requests.
        connection.sendall(request.encode("ascii"))
        assert read_answer(connection, rest)[0].startswith(b"HTTP/1.1 304 ")
