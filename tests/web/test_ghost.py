"""Ghost's own webhooks at /hooks/ghost: its signature, its events, its retries."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from syndicate.models import Article
from syndicate.runtime import Runtime
from tests.client import Client
from tests.conftest import WEBHOOK_SECRETS

PUBLISHED = json.loads(
    (Path(__file__).parent.parent / "fixtures/ghost_post_published.json").read_text()
)
SECRET = WEBHOOK_SECRETS.split(",")[0].encode()


def ghost_signature(body: bytes, secret: bytes = SECRET, ms: int | None = None) -> str:
    t = ms if ms is not None else int(time.time() * 1000)  # Ghost signs with Date.now()
    return f"sha256={hmac.new(secret, body + str(t).encode(), hashlib.sha256).hexdigest()}, t={t}"


def send(client: Client, payload: dict[str, Any], signature: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "Content-Version": "v5.96",
        "X-Ghost-Signature": signature or ghost_signature(body),
    }
    return client.http.post("/hooks/ghost", content=body, headers=headers)


def test_a_published_post_is_stored_as_its_article(client: Client, runtime: Runtime) -> None:
    response = send(client, PUBLISHED)
    assert response.status_code == 202, response.text
    assert response.json() == {
        "article_id": "6744a1f2c3d4e5f6a7b8c9d0",
        "revision": 1,
        "status": "published",
    }
    with runtime.factory() as session:
        stored = session.get_one(Article, "6744a1f2c3d4e5f6a7b8c9d0")
    assert stored.title == "Tram line 4 opens after a decade of delays"
    assert stored.url == "https://ghost.example.com/tram-line-4-opens/"
    assert stored.summary == "Commuters cheered as the first tram left the depot."
    assert stored.tags == ["Transport", "City Hall"]  # not the internal #newsletter tag
    assert stored.section == "Transport"
    assert stored.authors == [
        {"name": "Mira Okafor", "url": "https://mira.example.com", "handles": {"x": "@miraokafor"}}
    ]
    assert stored.image_url == "https://ghost.example.com/content/images/2026/11/tram-hero.jpg"
    assert stored.image_alt == "A green tram at the depot"


def test_ghost_retrying_the_same_delivery_gets_the_first_answer(client: Client) -> None:
    body = json.dumps(PUBLISHED).encode()
    first = send(client, PUBLISHED, ghost_signature(body))
    again = send(client, PUBLISHED, ghost_signature(body))
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()


def test_an_edit_an_unpublish_and_a_delete(client: Client) -> None:
    assert send(client, PUBLISHED).status_code == 202
    edited = copy.deepcopy(PUBLISHED)
    edited["post"]["current"]["title"] = "Tram line 4 opens after eleven years of delays"
    edited["post"]["previous"] = {
        "title": PUBLISHED["post"]["current"]["title"],
        "updated_at": "2026-11-24T09:30:05.000Z",
    }
    assert send(client, edited).json()["status"] == "updated"

    unpublished = copy.deepcopy(edited)
    unpublished["post"]["current"]["status"] = "draft"
    unpublished["post"]["previous"] = {"status": "published"}
    assert send(client, unpublished).json()["status"] == "unpublished"

    assert send(client, PUBLISHED).json()["status"] == "published"
    deleted = {
        "post": {
            "current": {},
            "previous": {"id": "6744a1f2c3d4e5f6a7b8c9d0", "title": "Tram line 4 opens"},
        }
    }
    assert send(client, deleted).json()["status"] == "unpublished"


def test_an_edit_that_arrives_after_a_later_unpublish_is_stale(
    client: Client, runtime: Runtime
) -> None:
    assert send(client, PUBLISHED).status_code == 202
    edited = copy.deepcopy(PUBLISHED)
    edited["post"]["current"]["title"] = "An edit Ghost retried late"
    edited["post"]["current"]["updated_at"] = "2026-11-24T10:00:00.000Z"
    edited["post"]["previous"] = {"updated_at": "2026-11-24T09:30:05.000Z"}
    unpublished = copy.deepcopy(edited)
    unpublished["post"]["current"].update(status="draft", updated_at="2026-11-24T10:05:00.000Z")
    unpublished["post"]["previous"] = {"status": "published"}
    assert send(client, unpublished).json()["status"] == "unpublished"
    assert send(client, edited).json()["status"] == "stale"
    with runtime.factory() as session:
        stored = session.get_one(Article, PUBLISHED["post"]["current"]["id"])
        assert stored.status == "unpublished" and stored.title != "An edit Ghost retried late"


@pytest.mark.parametrize("wrong", ["body-only", "seconds", "other-secret", "missing"])
def test_it_refuses_signatures_ghost_would_not_make(client: Client, wrong: str) -> None:
    body = json.dumps(PUBLISHED).encode()
    signature = {
        # A common mistake: the HMAC of the body alone, without the timestamp appended.
        "body-only": f"sha256={hmac.new(SECRET, body, hashlib.sha256).hexdigest()}, "
        f"t={int(time.time() * 1000)}",
        "seconds": ghost_signature(body, ms=int(time.time())),  # seconds, not milliseconds
        "other-secret": ghost_signature(body, secret=b"not-ours"),
        "missing": "",
    }[wrong]
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["X-Ghost-Signature"] = signature
    response = client.http.post("/hooks/ghost", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_a_body_that_is_not_a_post_webhook_is_a_422(client: Client) -> None:
    response = send(client, {"page": {"current": {}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "post"


def test_ghost_s_social_card_fields_and_no_social_tag_steer_the_posts(
    client: Client, runtime: Runtime
) -> None:
    payload = copy.deepcopy(PUBLISHED)
    current = payload["post"]["current"]
    current["og_title"] = "Tram 4: finally"
    current["twitter_description"] = "Ten years late, and full on day one."
    current["tags"].append({"id": "t9", "name": "#no-social", "slug": "hash-no-social"})
    assert send(client, payload).status_code == 202
    with runtime.factory() as session:
        stored = session.get_one(Article, current["id"])
    assert stored.syndication == {
        "share": False,
        "social_title": "Tram 4: finally",
        "social_text": {"default": "Ten years late, and full on day one."},
    }
    assert "#no-social" not in stored.tags
