"""Malformed values a stranger can send without signing in get a 4xx with a JSON body that
names what is wrong, never a 500."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from syndicate import signatures
from syndicate.models import Role
from syndicate.runtime import Runtime, build_runtime
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import WebServer, free_port

NOW = b"<now>"  # replaced by the time the request is sent


def current(header: bytes) -> bytes:
    return header.replace(NOW, str(int(time.time())).encode())


@pytest.mark.parametrize(
    "header",
    [
        b"t=" + NOW + b",v1=\xe9" + b"a" * 63,
        b"t=\xb2,v1=" + b"a" * 64,
        b"t=" + b"9" * 400 + b",v1=" + b"a" * 64,
        b"t=-5,v1=" + b"a" * 64,
    ],
    ids=["non-ascii-v1", "superscript-t", "400-digit-t", "negative-t"],
)
def test_malformed_generic_signatures_are_refused_with_401(client: Client, header: bytes) -> None:
    body = json.dumps(envelope(article("sig-1"))).encode()
    response = client.http.post(
        "/hooks/articles",
        content=body,
        headers={"Content-Type": "application/json", signatures.HEADER: current(header)},
    )
    assert response.status_code == 401
    assert "signature" in response.json()["message"]


@pytest.mark.parametrize(
    "header",
    [
        b"sha256=\xe9" + b"a" * 63 + b", t=" + NOW + b"000",
        b"sha256=" + b"a" * 64 + b", t=" + b"9" * 400,
    ],
    ids=["non-ascii-digest", "400-digit-t"],
)
def test_malformed_ghost_signatures_are_refused_with_401(client: Client, header: bytes) -> None:
    response = client.http.post(
        "/hooks/ghost",
        content=b'{"post": {"current": {}}}',
        headers={"Content-Type": "application/json", "X-Ghost-Signature": current(header)},
    )
    assert response.status_code == 401


def test_a_signed_integer_of_thousands_of_digits_is_refused_with_422(client: Client) -> None:
    payload = json.dumps(envelope(article("huge-1"))).replace('"huge-1"', "9" * 5000, 1)
    response = client.send_raw(payload.encode())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("param", ["offset", "page"])
def test_huge_offsets_and_pages_are_refused_naming_the_field(
    client: Client, web: WebServer, people: dict[Role, Person], param: str
) -> None:
    huge = "2656692007290120057671759203139584"
    if param == "offset":
        response = client.api("GET", "/posts", params={"offset": huge})
    else:
        response = signed_in(web.url, people[Role.VIEWER].username).get(
            "/review/deliveries", params={"page": huge}
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == f"query.{param}"


def test_a_non_ascii_csrf_token_is_refused_as_a_wrong_one(
    client: Client, web: WebServer, people: dict[Role, Person]
) -> None:
    http = signed_in(web.url, people[Role.ADMIN].username)
    refused = http.post("/review/channels/wire/pause", data={"csrf_token": "é" * 32})
    assert refused.status_code == 403 and "CSRF" in refused.text
    login = httpx.Client(base_url=web.url, timeout=30)
    csrf_of(login.get("/review/login").text)
    wrong = login.post(
        "/review/login", data={"username": "x", "password": "y", "csrf_token": "é" * 32}
    )
    assert wrong.status_code == 403


def test_a_feed_asked_for_while_the_database_is_down_is_a_503(runtime: Runtime) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"
    down = build_runtime(runtime.settings.model_copy(update={"database_url": nowhere}))
    server = WebServer(create_app(down)).start()
    try:
        response = httpx.get(f"{server.url}/feeds/rss.xml", timeout=30)
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert response.headers["retry-after"] == "5"
