"""Request bodies: one size limit for every route, and nobody's form is read before their
sign-in and role are known to allow it."""

from __future__ import annotations

import socket
import time

import pytest

from syndicate.models import Role
from tests.client import Client
from tests.people import Person
from tests.review.browser_session import signed_in
from tests.servers import WebServer

LIMIT = 1024 * 1024


def answer_before_the_body(port: int, head: bytes) -> tuple[bytes, float]:
    """Send a request head promising a body, never send the body, and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        started = time.monotonic()
        connection.sendall(head)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        return received, time.monotonic() - started


def form_head(path: str, length: int, cookie: str = "") -> bytes:
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"{extra}Content-Length: {length}\r\n\r\n"
    ).encode()


def test_an_anonymous_form_is_sent_to_sign_in_without_its_body_being_read(
    client: Client, web: WebServer, people: dict[Role, Person]
) -> None:
    received, took = answer_before_the_body(web.port, form_head("/review/posts/1/edit", 900_000))
    assert received.startswith(b"HTTP/1.1 303 ")
    assert b"location: /review/login" in received.lower()
    assert took < 5  # not the body timeout


def test_a_form_the_role_does_not_allow_is_refused_without_its_body_being_read(
    client: Client, web: WebServer, people: dict[Role, Person]
) -> None:
    http = signed_in(web.url, people[Role.VIEWER].username)
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    received, took = answer_before_the_body(
        web.port, form_head("/review/posts/1/approve", 900_000, cookie)
    )
    assert received.startswith(b"HTTP/1.1 403 ")
    assert took < 5


@pytest.mark.parametrize(
    "path", ["/review/posts/1/edit", "/api/posts/1", "/hooks/articles", "/review/login"]
)
def test_a_declared_body_over_the_limit_is_refused_at_once(web: WebServer, path: str) -> None:
    received, took = answer_before_the_body(web.port, form_head(path, 78 * 1024 * 1024))
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in received.lower()
    assert took < 5


def test_a_chunked_body_over_the_limit_is_refused_with_413(client: Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(LIMIT // 65536 + 2):
            yield b" " * 65536

    response = client.http.post(
        "/api/preview",
        content=chunks(),
        headers={"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
