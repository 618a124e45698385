"""A feed in a web process's memory is answered byte for byte as one first read from the
database, on keep-alive and pipelined connections alike."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from syndicate.runtime import Runtime
from syndicate.web.app import create_app
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


def raw(port: int, request: str) -> bytes:
    """One request over a fresh connection, read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode("ascii"))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def without_date_and_id(response: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    # The date and the request's own id differ from one answer to the next.
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"date:", b"x-request-id:"))
    ]
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


def test_a_feed_in_memory_is_answered_as_one_read_from_the_database(
    client: Client, server: tuple[WebServer, Any]
) -> None:
    web, app = server
    publish_and_wait(client, web, "fast-1", "Fast path")
    cache = app.state.feed_cache
    for name, request in REQUESTS.items():
        cache.forget()
        cold = raw(web.port, request)  # read from the database
        assert cache.peek(request.split()[1].removeprefix("/feeds/")) is not None, name
        warm = raw(web.port, request)  # answered from memory
        assert without_date_and_id(warm) == without_date_and_id(cold), name
        assert cold.startswith(b"HTTP/1.1 200 OK\r\n"), name
        assert b"connection: close" in cold.lower(), name
    lines, body = without_date_and_id(raw(web.port, REQUESTS["head"]))
    assert body == b"" and any(line.startswith(b"content-length: ") for line in lines)


def test_pipelined_conditional_requests_on_one_connection_get_304s_in_order(
    client: Client, server: tuple[WebServer, Any]
) -> None:
    web, _app = server
    publish_and_wait(client, web, "fast-2", "Kept alive")
    head, _, _ = raw(web.port, REQUESTS["plain"]).partition(b"\r\n\r\n")
    etag = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"etag:"))
    conditional = (
        f"GET /feeds/rss.xml HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag[6:].decode()}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as connection:
        # Three requests sent at once (pipelined), then a plain one closing the connection.
        connection.sendall((conditional * 3 + REQUESTS["plain"]).encode("ascii"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 304 Not Modified\r\n") == 3
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 1
    assert received.index(b"304") < received.index(b"200 OK")


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
    ids=["in-memory", "missing"],
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
