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


def send(client: Client, post: dict[str, Any], **headers: str) -> httpx.Response:
    body = json.dumps(post).encode()
    headers = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.sign(body, client.secret),
        **headers,
    }
    return client.http.post("/hooks/wordpress", content=body, headers=headers)


def test_a_published_post_becomes_its_article_with_entities_decoded(
    client: Client, runtime: Runtime
) -> None:
    response = send(client, POST)
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
    assert send(client, POST).status_code == 202
    assert send(client, POST).status_code == 200


def trashed(modified_gmt: str) -> dict[str, Any]:
    return {"id": POST["id"], "status": "trash", "modified_gmt": modified_gmt}


def test_trashing_or_drafting_a_post_unpublishes_it(client: Client) -> None:
    assert send(client, POST).status_code == 202
    assert send(client, trashed("2026-11-24T11:00:00")).json()["status"] == "unpublished"


def test_a_captured_publish_replayed_under_a_new_delivery_header_is_a_repeat(
    client: Client, runtime: Runtime
) -> None:
    body = json.dumps(POST).encode()
    captured = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.sign(body, client.secret),
        "X-Syndicate-Delivery": "wp-original",
    }
    assert client.http.post("/hooks/wordpress", content=body, headers=captured).status_code == 202
    assert send(client, trashed("2026-11-24T11:00:00")).json()["status"] == "unpublished"
    replayed = {**captured, "X-Syndicate-Delivery": "wp-forged-new-id"}
    again = client.http.post("/hooks/wordpress", content=body, headers=replayed)
    assert again.status_code == 200  # the first answer; nothing new is done
    with runtime.factory() as session:
        assert session.get_one(Article, "4821").status == "unpublished"


def test_an_older_version_arriving_after_a_newer_one_changes_nothing(
    client: Client, runtime: Runtime
) -> None:
    newer = copy.deepcopy(POST)
    newer["modified_gmt"] = "2026-11-24T12:00:00"
    newer["title"] = {"rendered": "The newer title"}
    assert send(client, newer).json()["status"] == "published"
    assert send(client, POST).json()["status"] == "stale"  # modified at 09:45
    assert send(client, trashed("2026-11-24T11:00:00")).json()["status"] == "stale"
    with runtime.factory() as session:
        stored = session.get_one(Article, "4821")
        assert (stored.status, stored.title) == ("published", "The newer title")
    assert send(client, trashed("2026-11-24T12:00:00")).json()["status"] == "unpublished"
    republished = copy.deepcopy(newer)  # the same moment as the trash: the trash wins
    republished["excerpt"] = {"rendered": "Another excerpt"}
    assert send(client, republished).json()["status"] == "stale"


def test_an_unsigned_post_is_refused(client: Client) -> None:
    response = client.http.post(
        "/hooks/wordpress", content=json.dumps(POST), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


def test_the_plugin_s_syndication_fields_become_the_syndication_object(
    client: Client, runtime: Runtime
) -> None:
    post = copy.deepcopy(POST)
    post["meta"] = {
        "syndicate_share": True,
        "syndicate_channels": "wire, newsroom-hook",
        "syndicate_exclude_channels": "",
        "syndicate_social_title": "Bridge back",
        "syndicate_social_text": "Quieter than before",
        "syndicate_not_before": "2026-12-03T06:00:00Z",
    }
    assert send(client, post).status_code == 202
    with runtime.factory() as session:
        stored = session.get_one(Article, "4821")
    assert stored.syndication == {
        "channels": ["wire", "newsroom-hook"],
        "social_title": "Bridge back",
        "social_text": {"default": "Quieter than before"},
        "not_before": "2026-12-03T06:00:00Z",
    }
    assert stored.not_before is not None and stored.not_before.hour == 6


def test_a_syndication_field_naming_no_channel_is_refused(client: Client) -> None:
    post = copy.deepcopy(POST)
    post["meta"] = {"syndicate_share": False, "syndicate_exclude_channels": "wire,tiktok"}
    answer = send(client, post)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [
        "article.syndication.exclude_channels.1"
    ]
