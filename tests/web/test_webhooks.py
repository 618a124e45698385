"""The webhook refuses what it should, says why in JSON, and stores nothing when it refuses."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import func, select

from syndicate import signatures
from syndicate.models import Article, ArticleRevision, InboundDelivery
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.conftest import WEBHOOK_SECRETS


def stored_rows(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return sum(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Article, ArticleRevision, InboundDelivery)
        )


def assert_refused(response: httpx.Response, status: int, runtime: Runtime) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert body["error"] and body["message"]
    for secret in WEBHOOK_SECRETS.split(","):
        assert secret not in response.text
    assert stored_rows(runtime) == 0
    return body


def valid_body() -> bytes:
    return json.dumps(envelope(article())).encode()


def test_it_refuses_a_request_without_a_signature(client: Client, runtime: Runtime) -> None:
    body = assert_refused(client.send_raw(valid_body(), signature=None), 401, runtime)
    assert "Syndicate-Signature" in str(body["message"])


@pytest.mark.parametrize(
    "header",
    ["t=1,v1=abc", "garbage", "v1=deadbeef", f"t={int(time.time())},v1=" + "0" * 64],
    # Ids of their own: the last header says when it was made, and every test process must
    # collect the same tests.
    ids=["stale-and-short", "garbage", "no-timestamp", "current-but-wrong"],
)
def test_it_refuses_a_wrong_or_malformed_signature(
    client: Client, runtime: Runtime, header: str
) -> None:
    assert_refused(client.send_raw(valid_body(), signature=header), 401, runtime)


def test_it_refuses_a_body_signed_with_an_unknown_secret(client: Client, runtime: Runtime) -> None:
    response = client.send_raw(valid_body(), secret=b"not-our-secret")
    assert_refused(response, 401, runtime)


def test_it_refuses_a_body_changed_after_signing(client: Client, runtime: Runtime) -> None:
    body = valid_body()
    header = signatures.sign(body, client.secret)
    tampered = body.replace(b"Council", b"Mayor")
    assert_refused(client.send_raw(tampered, signature=header), 401, runtime)


@pytest.mark.parametrize("skew", [-301, 301, -86400])
def test_it_refuses_a_replayed_or_future_timestamp(
    client: Client, runtime: Runtime, skew: int
) -> None:
    response = client.send_raw(valid_body(), timestamp=int(time.time()) + skew)
    body = assert_refused(response, 401, runtime)
    assert "timestamp" in str(body["message"])


def test_it_accepts_the_previous_secret_while_it_is_rotated_out(client: Client) -> None:
    previous = WEBHOOK_SECRETS.split(",")[1].encode()
    assert client.send_raw(valid_body(), secret=previous).status_code == 202


def test_it_refuses_a_body_over_one_mebibyte(client: Client, runtime: Runtime) -> None:
    art = article(content_html="")
    skeleton = json.dumps(envelope(art)).encode()
    padding = 1024 * 1024 + 1 - len(skeleton)
    art["content_html"] = "x" * padding
    body = json.dumps(envelope(art)).encode()
    assert len(body) == 1024 * 1024 + 1
    assert_refused(client.send_raw(body), 413, runtime)


def test_it_accepts_a_body_of_exactly_one_mebibyte(client: Client) -> None:
    art = article(content_html="")
    skeleton = json.dumps(envelope(art)).encode()
    art["content_html"] = "x" * (1024 * 1024 - len(skeleton))
    body = json.dumps(envelope(art)).encode()
    assert len(body) == 1024 * 1024
    assert client.send_raw(body).status_code == 202


def test_it_refuses_a_body_that_is_not_json(client: Client, runtime: Runtime) -> None:
    body = assert_refused(client.send_raw(b'{"delivery_id": '), 422, runtime)
    assert body["errors"][0]["field"] == "body"  # type: ignore[index]


def test_it_refuses_invalid_utf8(client: Client, runtime: Runtime) -> None:
    assert_refused(client.send_raw(b'{"title": "\xff\xfe"}'), 422, runtime)


def test_it_refuses_deeply_nested_json_without_failing(client: Client, runtime: Runtime) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    assert_refused(client.send_raw(body), 422, runtime)


def test_it_refuses_another_content_type(client: Client, runtime: Runtime) -> None:
    response = client.send_raw(valid_body(), content_type="application/x-www-form-urlencoded")
    assert_refused(response, 415, runtime)


def test_it_names_every_bad_field(client: Client, runtime: Runtime) -> None:
    art = article(url="javascript:alert(1)", published_at="yesterday", tags=["ok", ""])
    del art["title"]
    response = client.send(envelope(art))
    body = assert_refused(response, 422, runtime)
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert {"article.url", "article.title", "article.published_at", "article.tags.1"} <= fields


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event": "article.published", "article": {}}, "delivery_id"),
        ({"delivery_id": "d", "event": "article.deleted", "article": {}}, "event"),
        ({"delivery_id": "d", "event": "article.published", "article": []}, "article"),
        ([1, 2, 3], "body"),
    ],
)
def test_it_refuses_an_envelope_that_breaks_the_contract(
    client: Client, runtime: Runtime, payload: object, field: str
) -> None:
    body = assert_refused(client.send_raw(json.dumps(payload).encode()), 422, runtime)
    assert field in {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"published_at": "1969-12-31T23:59:59Z"}, "article.published_at"),
        ({"published_at": "2026-11-24T09:30:00"}, "article.published_at"),
        ({"tags": ["t"] * 101}, "article.tags"),
        ({"id": "../../etc/passwd"}, "article.id"),
        ({"url": "ftp://news.example/a"}, "article.url"),
        ({"image": {"url": "file:///etc/passwd"}}, "article.image.url"),
    ],
)
def test_it_refuses_out_of_range_values(
    client: Client, runtime: Runtime, override: dict[str, object], field: str
) -> None:
    body = assert_refused(client.send(envelope(article(**override))), 422, runtime)
    assert field in {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]


def test_an_unpublish_needs_only_the_article_id(client: Client) -> None:
    response = client.send(envelope({"id": "never-seen"}, event="article.unpublished"))
    assert response.status_code == 202
    assert response.json() == {"article_id": "never-seen", "revision": None, "status": "not_found"}


def test_a_repeated_delivery_gets_the_first_answer(client: Client, runtime: Runtime) -> None:
    payload = envelope(article("repeat"), delivery_id="same-delivery")
    first = client.send(payload)
    assert first.status_code == 202
    payload["article"]["title"] = "A different title under the same delivery id"
    second = client.send(payload)
    assert second.status_code == 200
    assert second.json() == first.json()
    with runtime.factory() as session:
        assert session.get_one(Article, "repeat").title == "Council approves the new river crossing"


def test_an_older_version_never_overwrites_a_newer_one(client: Client, runtime: Runtime) -> None:
    newer = article("order", title="Newer", updated_at="2026-11-24T12:00:00Z")
    older = article("order", title="Older", updated_at="2026-11-24T11:00:00Z")
    assert client.send(envelope(newer)).json()["status"] == "published"
    late = client.send(envelope(older, event="article.updated"))
    assert late.status_code == 202 and late.json()["status"] == "stale"
    old_unpublish = {"id": "order", "updated_at": "2026-11-24T11:30:00Z"}
    assert client.send(envelope(old_unpublish, "article.unpublished")).json()["status"] == "stale"
    with runtime.factory() as session:
        stored = session.get_one(Article, "order")
        assert (stored.title, stored.status) == ("Newer", "published")

    assert client.send(envelope({"id": "order"}, "article.unpublished")).json()["status"] == (
        "unpublished"  # an unpublish without a time of its own is applied
    )
    again = article(
        "order", title="Newer", summary="Republished", updated_at="2026-11-24T12:00:00Z"
    )
    assert client.send(envelope(again)).json()["status"] == "published"
