"""POST /api/preview: a channel's post for an article, measured as the platform measures it."""

from __future__ import annotations

import pytest

from tests.client import Client, article, envelope
from tests.servers import wait_until


def test_it_previews_an_article_not_stored_yet(client: Client) -> None:
    art = article("p1", title="日本語 headline 👨‍👩‍👧‍👦", url="https://news.example.com/p1")
    response = client.api("POST", "/preview", json={"channel": "x-preview", "article": art})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"].startswith("日本語 headline 👨‍👩‍👧‍👦")
    assert "https://news.example.com/p1" in body["text"]
    assert body["limit"] == 280 and body["unit"] == "weighted characters"
    assert body["valid"] is True and body["problems"] == []
    # 日本語 weighs 6, " headline " 10, the family emoji 2, two newlines 2, the link 23,
    # a newline 1, "#LocalPolitics #Transport" 25.
    assert body["length"] == 6 + 10 + 2 + 2 + 23 + 1 + 25


def test_it_measures_an_edited_text_with_the_same_counting(client: Client) -> None:
    art = article("p2", url="https://news.example.com/p2")
    too_long = "字" * 141 + " https://news.example.com/p2"
    response = client.api(
        "POST", "/preview", json={"channel": "x-preview", "article": art, "text": too_long}
    )
    body = response.json()
    assert body["length"] == 282 + 1 + 23
    assert body["valid"] is False
    assert body["problems"] == ["too long: 306 weighted characters, the limit is 280"]


def test_it_previews_a_stored_article_with_bluesky_facets(client: Client) -> None:
    assert (
        client.send(envelope(article("stored-1", url="https://news.example.com/s1"))).status_code
        == 202
    )
    response = client.api(
        "POST", "/preview", json={"channel": "bluesky-preview", "article_id": "stored-1"}
    )
    body = wait_until(lambda: response.json())
    assert body["valid"] is True and body["unit"] == "graphemes"
    uris = [f["features"][0].get("uri") for f in body["extras"]["facets"]]
    assert "https://news.example.com/s1" in uris
    assert body["extras"]["embed"]["external"]["uri"] == "https://news.example.com/s1"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"channel": "nope", "article_id": "x"}, 404),
        ({"channel": "x-preview", "article_id": "missing"}, 404),
        ({"channel": "x-preview"}, 422),
        ({"channel": "x-preview", "article": {"id": "bad"}}, 422),
    ],
)
def test_it_refuses_what_it_cannot_preview(
    client: Client, payload: dict[str, object], status: int
) -> None:
    response = client.api("POST", "/preview", json=payload)
    assert response.status_code == status
    assert response.json()["message"]


def test_it_needs_the_api_token(client: Client) -> None:
    response = client.http.post("/api/preview", json={"channel": "x-preview", "article_id": "x"})
    assert response.status_code == 401
