"""The WordPress REST API post object at /hooks/wordpress, as the plugin sends it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from syndicate import signatures
from syndicate.models import Article
from syndicate.runtime import Runtime
from tests.client import Client

POST = json.loads((Path(__file__).parent.parent / "fixtures/wordpress_post.json").read_text())


def send(client: Client, post: dict[str, Any], delivery: str | None = None) -> httpx.Response:
    body = json.dumps(post).encode()
    headers = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.sign(body, client.secret),
    }
    if delivery:
        headers["X-Syndicate-Delivery"] = delivery
    return client.http.post("/hooks/wordpress", content=body, headers=headers)


def test_a_published_post_becomes_its_article_with_entities_decoded(
    client: Client, runtime: Runtime
) -> None:
    response = send(client, POST, "wp-4821-1")
    assert response.status_code == 202, response.text
    assert response.json() == {"article_id": "4821", "revision": 1, "status": "published"}
    with runtime.factory() as session:
        stored = session.get_one(Article, "4821")
    # &#8211; &#8217; &#8220; &#8221;: an en dash, a right single quote, curly double quotes.
    assert stored.title == (
        "Harbour bridge reopens \u2013 and it\u2019s \u201cquieter\u201d than before"
    )
    assert stored.summary == "The bridge reopened at dawn after six months of works & tests"
    assert stored.url == "https://wp.example.com/2026/11/24/harbour-bridge-reopens/"
    assert stored.tags == ["Bridges", "Roads & Traffic"]
    assert stored.section == "City"
    assert stored.authors == [
        {"name": "Jonas Weber", "url": "https://wp.example.com/author/jonas/", "handles": {}}
    ]
    assert stored.image_url == "https://wp.example.com/wp-content/uploads/2026/11/bridge.jpg"
    assert stored.image_alt == "The harbour bridge at dawn"
    assert stored.published_at.isoformat() == "2026-11-24T09:30:00+00:00"
    assert stored.updated_at is not None and stored.updated_at.minute == 45


def test_the_same_delivery_twice_is_answered_once(client: Client) -> None:
    assert send(client, POST, "wp-4821-2").status_code == 202
    assert send(client, POST, "wp-4821-2").status_code == 200


def test_trashing_or_drafting_a_post_unpublishes_it(client: Client) -> None:
    assert send(client, POST).status_code == 202
    trashed = copy.deepcopy(POST)
    trashed["status"] = "trash"
    assert send(client, trashed).json()["status"] == "unpublished"


def test_an_unsigned_post_is_refused(client: Client) -> None:
    response = client.http.post(
        "/hooks/wordpress", content=json.dumps(POST), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
