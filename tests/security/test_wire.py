"""What the web server does with hostile bytes on the wire, driven over real sockets: heads too
large, clients too slow, and request framings that could make one request look like two."""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from syndicate.web.httpguard import GuardedHttpProtocol
from tests.client import Client, article, envelope
from tests.servers import WebServer, wait_until


class Impatient(GuardedHttpProtocol):
    header_timeout = 1.0
    body_timeout = 1.0


@pytest.fixture
def impatient(runtime: Runtime) -> Iterator[WebServer]:
    server = WebServer(create_app(runtime), protocol=Impatient).start()
    yield server
    server.stop()


def connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=15)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def statuses(received: bytes) -> list[int]:
    """The status of each answer in what was received (answers follow bodies directly)."""
    return [int(status) for status in re.findall(rb"HTTP/1\.[01] (\d{3}) ", received)]


def test_a_head_that_keeps_growing_is_refused_with_431_before_it_is_whole(
    client: Client, web: WebServer
) -> None:
    with connect(web.port) as connection:
        connection.sendall(b"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\nX-Big: ")
        sent = 0
        try:
            while sent < 8 * 1024 * 1024:
                connection.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = read_all(connection)
    assert sent < 8 * 1024 * 1024  # the server stopped reading long before
    assert statuses(received) == [431]
    assert b'"error":"request_header_fields_too_large"' in received.replace(b" ", b"")
    assert client.http.get("/healthz").status_code == 200


def test_a_whole_head_over_the_limit_is_refused_with_431(client: Client, web: WebServer) -> None:
    cookie = "c" * 20_000
    request = f"GET /healthz HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\n\r\n".encode()
    with connect(web.port) as connection:
        connection.sendall(request)
        received = read_all(connection)
    assert statuses(received) == [431]
    ordinary = client.http.get("/healthz", headers={"Cookie": "c" * 8000})
    assert ordinary.status_code == 200


def test_a_client_that_sends_nothing_is_closed_after_the_header_timeout(
    impatient: WebServer,
) -> None:
    with connect(impatient.port) as connection:
        started = time.monotonic()
        received = read_all(connection)
    assert 0.8 < time.monotonic() - started < 5
    assert statuses(received) == [408]


def test_a_client_that_stops_half_way_through_its_head_is_closed(impatient: WebServer) -> None:
    with connect(impatient.port) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        started = time.monotonic()
        received = read_all(connection)
    assert 0.8 < time.monotonic() - started < 5
    assert statuses(received) == [408]


@pytest.mark.parametrize(
    "pause",
    # Straight after the first answer, and well into the first wait's second: the second head
    # has a whole timeout of its own either way.
    [pytest.param(0.0, id="at-once"), pytest.param(0.6, id="after-a-pause")],
)
def test_a_keep_alive_client_that_starts_a_second_request_and_stalls_is_closed(
    impatient: WebServer, pause: float
) -> None:
    with connect(impatient.port) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        wait_until(lambda: connection.recv(65536).startswith(b"HTTP/1.1 200"), timeout=5)
        time.sleep(pause)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        started = time.monotonic()
        received = read_all(connection)
    assert 0.8 < time.monotonic() - started < 5
    assert statuses(received) == [408]


def test_a_client_that_stops_half_way_through_its_body_is_closed(impatient: WebServer) -> None:
    with connect(impatient.port) as connection:
        connection.sendall(
            b"POST /hooks/articles HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"delivery_id"'
        )
        started = time.monotonic()
        read_all(connection)
    assert 0.8 < time.monotonic() - started < 5


@pytest.mark.usefixtures("worker")
def test_answers_do_not_name_the_software_behind_them(client: Client) -> None:
    published_feed(client)
    for path in ("/feeds/rss.xml", "/feeds/nowhere/rss.xml", "/healthz", "/review/"):
        answer = client.http.get(path)
        assert "server" not in answer.headers, path
        assert "date" in answer.headers, path  # what RFC 9110 asks of a server with a clock


def published_feed(client: Client) -> None:
    """A story of its own in the feed: an id of its own too, so that a rebuild the last test
    left running cannot mark this one's feeds as built."""
    story = uuid.uuid4().hex[:8]
    title = f"On the wire {story}"
    assert client.send(envelope(article(f"wire-{story}", title=title))).status_code == 202
    wait_until(lambda: title.encode() in client.http.get("/feeds/rss.xml").content, timeout=30)


@pytest.mark.usefixtures("worker")
def test_a_request_pipelined_in_the_same_packet_as_a_post_is_answered_after_it(
    client: Client, web: WebServer
) -> None:
    published_feed(client)
    post = (
        b"POST /hooks/articles HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    feed = b"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    with connect(web.port) as connection:
        connection.sendall(post + feed)
        received = read_all(connection)
    assert statuses(received) == [401, 200]  # the POST ran (unsigned), then the feed
    assert received.index(b"missing Syndicate-Signature") < received.index(b"On the wire")


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize(
    "framing",
    [
        b"Transfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n2;ext\n\r\n{}\r\n0\r\n\r\n",
        b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ids=[
        "unknown-coding",
        "overflowing-chunk-size",
        "bare-lf-in-extension",
        "two-lengths",
        "cl-te",
    ],
)
def test_a_malformed_framing_gets_one_400_and_nothing_inside_it_is_answered(
    client: Client, web: WebServer, framing: bytes
) -> None:
    published_feed(client)
    smuggled = b"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\n\r\n"
    head = b"POST /hooks/articles HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    with connect(web.port) as connection:
        connection.sendall(head + framing + smuggled)
        received = read_all(connection)
    assert statuses(received) == [400]
    assert b"On the wire" not in received
