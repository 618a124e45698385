"""Share buttons over HTTP: the snippet, the iframe and JSON variants, the counting redirect,
the Mastodon server picker, and the counts in the API."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from sqlalchemy import inspect, select

from syndicate.config import SHARE_BUTTONS
from syndicate.models import ShareCount
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.conftest import REDIS_PREFIX


def publish(client: Client, article_id: str = "share-1", **fields: object) -> dict[str, object]:
    art = article(article_id, **fields)
    assert client.send(envelope(art)).status_code == 202
    return art


def test_the_snippet_has_one_accessible_link_per_configured_button(client: Client) -> None:
    publish(client)
    response = client.http.get("/share/share-1/buttons")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "set-cookie" not in response.headers
    html = response.text
    shown = re.findall(r'data-share="([a-z]+)"', html)
    assert shown == [b for b in SHARE_BUTTONS if b != "copy"]
    links = re.findall(r"<a [^>]*>", html)
    assert len(links) == len(shown)
    for tag in links:
        # nofollow: crawlers that follow links would count as readers sharing.
        assert 'target="_blank"' in tag and 'rel="noopener noreferrer nofollow"' in tag
        assert re.search(r'aria-label="[^"]+ \(opens in a new tab\)"', tag)
        href = re.search(r'href="([^"]+)"', tag)
        assert href and href.group(1).startswith(f"{client.base_url}/share/share-1/go/")
    assert 'aria-label="Email a friend (opens in a new tab)"' in html  # the site's own label
    # Copy-link needs no script: a disclosure holding the tagged link to select.
    assert "<summary>" in html and (
        'value="https://news.example/2026/share-1?utm_medium=share_button&amp;utm_source=copy"'
        in html
    )
    # Nothing runs and nothing loads from anywhere else.
    assert "<script" not in html and " src=" not in html and "<img" not in html
    assert "prefers-color-scheme:dark" in html


def test_the_snippet_is_cacheable_and_answers_conditional_requests(client: Client) -> None:
    publish(client)
    first = client.http.get("/share/share-1/buttons")
    assert first.headers["cache-control"] == "public, max-age=300"
    again = client.http.get(
        "/share/share-1/buttons", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_the_iframe_variant_is_a_page_that_loads_nothing_else(client: Client) -> None:
    publish(client, title='Quotes "and" <tags>')
    response = client.http.get("/share/share-1/frame")
    assert response.status_code == 200
    assert response.text.startswith("<!doctype html>")
    assert "<title>Share: Quotes &#34;and&#34; &lt;tags&gt;</title>" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "<script" not in response.text


def test_links_json_gives_each_intent_and_its_counting_redirect(client: Client) -> None:
    publish(client, title="Tides & times #2")
    response = client.http.get("/share/share-1/links.json")
    assert response.status_code == 200
    body = response.json()
    assert body["article"] == "share-1" and body["title"] == "Tides & times #2"
    by_button = {link["button"]: link for link in body["links"]}
    assert list(by_button) == list(SHARE_BUTTONS)
    telegram = by_button["telegram"]
    assert telegram["href"] == f"{client.base_url}/share/share-1/go/telegram"
    assert parse_qs(urlsplit(telegram["intent"]).query) == {
        "url": ["https://news.example/2026/share-1?utm_medium=share_button&utm_source=telegram"],
        "text": ["Tides & times #2"],
    }
    assert by_button["email"]["label"] == "Email a friend"


def test_a_click_is_counted_and_redirected_to_the_intent(client: Client) -> None:
    publish(client)
    response = client.http.get("/share/share-1/go/bluesky", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://bsky.app/intent/compose?text=")
    text = parse_qs(urlsplit(response.headers["location"]).query)["text"][0]
    assert "utm_medium=share_button&utm_source=bluesky" in text
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    mastodon = client.http.get(
        "/share/share-1/go/mastodon",
        follow_redirects=False,
        headers={"X-Forwarded-For": "198.51.100.20"},
    )
    assert mastodon.headers["location"] == f"{client.base_url}/share/share-1/mastodon"
    counts = client.api("GET", "/articles/share-1/shares").json()
    assert counts == {"article": "share-1", "total": 2, "buttons": {"bluesky": 1, "mastodon": 1}}


def test_a_reader_clicking_again_within_the_hour_is_counted_once(
    client: Client, runtime: Runtime
) -> None:
    publish(client)
    for button in ("x", "x", "bluesky", "x"):
        response = client.http.get(f"/share/share-1/go/{button}", follow_redirects=False)
        assert response.status_code == 303  # every click still reaches the platform
    counts = client.api("GET", "/articles/share-1/shares").json()
    assert counts["total"] == 1
    keys = redis.Redis.from_url(runtime.settings.broker_url).keys(f"{REDIS_PREFIX}share-seen:*")
    assert len(keys) == 1 and b"127.0.0.1" not in keys[0]
    ttl = redis.Redis.from_url(runtime.settings.broker_url).ttl(keys[0])
    assert 0 < ttl <= 3600  # forgotten when the hour is up


def test_concurrent_clicks_are_all_counted_and_nothing_about_readers_is_kept(
    client: Client, runtime: Runtime
) -> None:
    publish(client)

    def click(n: int) -> int:
        headers = {"User-Agent": f"reader-{n}", "X-Forwarded-For": f"203.0.113.{n}"}
        with httpx.Client(base_url=client.base_url) as http:
            return http.get("/share/share-1/go/x", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(click, range(40))) == {303}
    columns = {c["name"] for c in inspect(runtime.engine).get_columns("share_counts")}
    assert columns == {"article_id", "button", "count"}
    with runtime.factory() as session:
        rows = session.execute(select(ShareCount.article_id, ShareCount.button, ShareCount.count))
        assert list(rows) == [("share-1", "x", 40)]


@pytest.mark.parametrize(
    "path",
    [
        "/share/missing/buttons",
        "/share/missing/frame",
        "/share/missing/links.json",
        "/share/missing/go/x",
        "/share/missing/mastodon",
        "/share/share-1/go/myspace",
        "/share/share-1/go/copy",
    ],
)
def test_unknown_articles_and_buttons_are_404_with_a_reason(client: Client, path: str) -> None:
    publish(client)
    response = client.http.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    counts = client.api("GET", "/articles/share-1/shares").json()
    assert counts["total"] == 0


def test_an_unpublished_article_has_no_buttons(client: Client) -> None:
    art = publish(client)
    assert client.send(envelope(art, event="article.unpublished")).status_code == 202
    for path in ("/share/share-1/buttons", "/share/share-1/go/x", "/share/share-1/links.json"):
        assert client.http.get(path, follow_redirects=False).status_code == 410


def test_the_mastodon_page_asks_for_a_server_and_sends_the_reader_there(client: Client) -> None:
    publish(client, title="Harbour & ferry")
    page = client.http.get("/share/share-1/mastodon")
    assert page.status_code == 200
    assert '<label for="instance">' in page.text and "localStorage" in page.text
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token and 'method="post"' in page.text
    sent = client.http.post(
        "/share/share-1/mastodon",
        data={"instance": "https://Hachyderm.io/", "token": token.group(1)},
    )
    assert sent.status_code == 303
    location = sent.headers["location"]
    assert location.startswith("https://hachyderm.io/share?text=Harbour%20%26%20ferry")
    assert "utm_source%3Dmastodon" in location


@pytest.mark.parametrize(
    "attempt",
    [
        {"method": "GET", "params": {"instance": "evil.example"}},
        {"method": "POST", "data": {"instance": "evil.example"}},
        {"method": "POST", "data": {"instance": "evil.example", "token": "1.forged"}},
    ],
    ids=["link", "post-without-token", "post-with-forged-token"],
)
def test_a_server_named_by_anyone_but_the_reader_is_only_offered_never_redirected_to(
    client: Client, attempt: dict[str, Any]
) -> None:
    publish(client)
    method = attempt.pop("method")
    response = client.http.request(method, "/share/share-1/mastodon", **attempt)
    assert response.status_code == 200
    assert "location" not in response.headers
    assert "Continue to evil.example" in response.text  # a link the reader may choose to follow


def test_a_bad_server_name_is_explained_and_never_echoed_raw(client: Client) -> None:
    publish(client)
    response = client.http.get(
        "/share/share-1/mastodon", params={"instance": '"><script>alert(1)</script>'}
    )
    assert response.status_code == 400
    assert "does not look like a server name" in response.text
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text


def test_share_counts_need_the_api_token(client: Client) -> None:
    publish(client)
    assert client.http.get("/api/articles/share-1/shares").status_code == 401
    assert client.api("GET", "/articles/missing/shares").status_code == 404


def test_a_form_posted_from_another_site_is_only_offered(client: Client) -> None:
    publish(client)
    page = client.http.get("/share/share-1/mastodon")
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    response = client.http.post(
        "/share/share-1/mastodon",
        data={"instance": "evil.example", "token": token.group(1)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200 and "location" not in response.headers
