"""Feeds as subscribers get them: scoped, ordered, revised in place, validated, compressed."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from typing import Any

import feedparser
import httpx
import pytest
from lxml import html

from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.fakes.websub_hub import WebSubHub
from tests.servers import WebServer, wait_until

pytestmark = pytest.mark.usefixtures("worker")
CONTENT_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}


def titles(client: Client, path: str) -> list[str]:
    response = client.http.get(path)
    if response.status_code != 200:
        return []
    if path.endswith(".json"):
        return [item["title"] for item in response.json()["items"]]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.title for entry in parsed.entries]


def publish(client: Client, article_id: str, **fields: Any) -> dict[str, Any]:
    art = article(article_id, **fields)
    response = client.send(envelope(art))
    assert response.status_code == 202, response.text
    return art


def test_tag_author_and_section_feeds_hold_only_their_articles_in_every_format(
    client: Client,
) -> None:
    publish(
        client,
        "t1",
        title="Trial one",
        tags=["Clinical Trials"],
        section="Health",
        authors=[{"name": "Zoë Ångström"}],
        published_at="2026-11-20T10:00:00Z",
    )
    publish(
        client,
        "t2",
        title="Trial two",
        tags=["clinical trials", "Vaccines"],
        section="Health",
        authors=[{"name": "Li Lei"}],
        published_at="2026-11-21T10:00:00Z",
    )
    publish(
        client,
        "t3",
        title="Budget",
        tags=["Politics"],
        section="City",
        authors=[{"name": "Li Lei"}],
        published_at="2026-11-22T10:00:00Z",
    )

    expected = {
        "tags/clinical-trials": ["Trial two", "Trial one"],
        "tags/vaccines": ["Trial two"],
        "authors/li-lei": ["Budget", "Trial two"],
        "authors/zoe-angstrom": ["Trial one"],
        "sections/health": ["Trial two", "Trial one"],
        "": ["Budget", "Trial two", "Trial one"],
    }
    paths = {
        f"/feeds/{scope}/{filename}".replace("//", "/"): wanted
        for scope, wanted in expected.items()
        for filename in CONTENT_TYPES
    }
    # Each feed is stored in its own transaction, so the last ones may lag the first.
    wait_until(lambda: all(titles(client, path) == wanted for path, wanted in paths.items()))
    for path, wanted in paths.items():
        assert titles(client, path) == wanted, path
    assert client.http.get("/feeds/tags/unknown/rss.xml").status_code == 404


def test_an_edit_moves_the_article_between_tag_feeds_and_keeps_its_id(client: Client) -> None:
    art = publish(client, "mover", title="Before", tags=["Alpha"])
    wait_until(lambda: titles(client, "/feeds/tags/alpha/atom.xml") == ["Before"])
    first_id = feedparser.parse(client.http.get("/feeds/atom.xml").content).entries[0].id

    edited = dict(art, title="After", tags=["Beta"], updated_at="2026-11-25T08:00:00Z")
    assert client.send(envelope(edited, event="article.updated")).status_code == 202
    wait_until(
        lambda: (
            titles(client, "/feeds/tags/beta/atom.xml") == ["After"]
            and titles(client, "/feeds/tags/alpha/atom.xml") == []
            and titles(client, "/feeds/atom.xml") == ["After"]
        )
    )
    entry = feedparser.parse(client.http.get("/feeds/atom.xml").content).entries[0]
    assert (entry.title, entry.id) == ("After", first_id)
    assert entry.updated_parsed[:4] == (2026, 11, 25, 8)


def test_unpublishing_removes_the_article_from_every_feed_it_was_in(client: Client) -> None:
    publish(client, "gone", title="Gone soon", tags=["Alpha"], section="City")
    publish(client, "stays", title="Stays", tags=["Alpha"])
    wait_until(
        lambda: (
            titles(client, "/feeds/tags/alpha/rss.xml") == ["Gone soon", "Stays"]
            or titles(client, "/feeds/tags/alpha/rss.xml") == ["Stays", "Gone soon"]
        )
    )
    assert client.send(envelope({"id": "gone"}, event="article.unpublished")).status_code == 202
    for path in ("/feeds/rss.xml", "/feeds/tags/alpha/feed.json", "/feeds/sections/city/atom.xml"):
        wait_until(lambda path=path: "Gone soon" not in titles(client, path))
    assert "Stays" in titles(client, "/feeds/tags/alpha/rss.xml")


def test_the_whole_history_is_reachable_through_archive_pages(client: Client) -> None:
    # Archive pages hold two articles each in the tests (SYNDICATE_FEED_ARCHIVE_PAGE_SIZE=2).
    for number in range(1, 6):
        publish(
            client,
            f"h{number}",
            title=f"Story {number}",
            published_at=f"2026-11-0{number}T10:00:00Z",
        )
        wait_until(lambda n=number: len(titles(client, "/feeds/atom.xml")) == n)

    def links(path: str) -> dict[str, str]:
        response = client.http.get(path)
        if response.status_code != 200:  # an archive page not rendered yet
            return {}
        parsed = feedparser.parse(response.content)
        return {link.rel: link.href for link in parsed.feed.links}

    def history() -> list[list[str]]:
        seen, url = [], links("/feeds/atom.xml").get("prev-archive")
        while url:
            path = httpx.URL(url).path
            seen.append(titles(client, path))
            url = links(path).get("prev-archive")
        return seen

    wait_until(lambda: history() == [["Story 4", "Story 3"], ["Story 2", "Story 1"]])
    first = wait_until(
        lambda: (
            links("/feeds/archive/1/atom.xml").get("next-archive")
            and links("/feeds/archive/1/atom.xml")
        )
    )
    assert first["next-archive"].endswith("/feeds/archive/2/atom.xml")
    assert first["current"].endswith("/feeds/atom.xml")
    assert b"<fh:archive" in client.http.get("/feeds/archive/1/rss.xml").content
    assert (
        client.http.get("/feeds/feed.json")
        .json()["next_url"]
        .endswith("/feeds/archive/2/feed.json")
    )

    edited = article("h1", title="Story 1, corrected", published_at="2026-11-01T10:00:00Z")
    assert client.send(envelope(edited, event="article.updated")).status_code == 202
    wait_until(
        lambda: titles(client, "/feeds/archive/1/rss.xml") == ["Story 2", "Story 1, corrected"]
    )


def test_feeds_are_served_with_validators_and_answer_304(client: Client) -> None:
    publish(client, "cached", title="Cached")
    wait_until(lambda: titles(client, "/feeds/rss.xml") == ["Cached"])
    for filename, content_type in CONTENT_TYPES.items():
        first = client.http.get(f"/feeds/{filename}", headers={"Accept-Encoding": "identity"})
        assert first.status_code == 200
        assert first.headers["content-type"] == content_type
        assert first.headers["cache-control"] == "public, max-age=300"
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and not etag.startswith("W/")
        again = client.http.get(f"/feeds/{filename}", headers={"If-None-Match": etag})
        assert (again.status_code, again.content) == (304, b"")
        since = client.http.get(f"/feeds/{filename}", headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        head = client.http.head(f"/feeds/{filename}", headers={"Accept-Encoding": "identity"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(first.content))
    etags = {client.http.get(f"/feeds/{f}").headers["etag"] for f in CONTENT_TYPES}
    assert len(etags) == 3  # one validator per feed, not one per site


def test_feeds_are_gzipped_for_clients_that_accept_it(client: Client) -> None:
    publish(client, "zipped", title="Zipped")
    wait_until(lambda: titles(client, "/feeds/rss.xml") == ["Zipped"])
    plain = client.http.get("/feeds/rss.xml", headers={"Accept-Encoding": "identity"})
    with httpx.Client(base_url=client.base_url) as raw:
        response = raw.send(
            raw.build_request("GET", "/feeds/rss.xml", headers={"Accept-Encoding": "gzip"}),
            stream=True,
        )
        compressed = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert gzip.decompress(compressed) == plain.content
    assert len(compressed) < len(plain.content)
    refused = client.http.get("/feeds/rss.xml", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_feed_responses_advertise_their_hub_and_self(client: Client, hub: WebSubHub) -> None:
    publish(client, "linked", title="Linked")
    wait_until(lambda: titles(client, "/feeds/tags/transport/rss.xml") == ["Linked"])
    link = client.http.get("/feeds/tags/transport/rss.xml").headers["link"]
    assert f'<{hub.url}>; rel="hub"' in link
    assert f'<{client.base_url}/feeds/tags/transport/rss.xml>; rel="self"' in link


def test_the_index_page_and_card_pages_let_readers_discover_every_feed(client: Client) -> None:
    publish(client, "found", title="Found", tags=["Clinical Trials"])
    wait_until(lambda: titles(client, "/feeds/tags/clinical-trials/rss.xml") == ["Found"])
    wait_until(lambda: client.http.get("/cards/found").status_code == 200)
    for page in ("/feeds", "/cards/found"):
        tree = html.fromstring(client.http.get(page).content)
        hrefs = {e.get("href"): e.get("type") for e in tree.xpath('//link[@rel="alternate"]')}
        base = client.base_url
        assert hrefs[f"{base}/feeds/rss.xml"] == "application/rss+xml"
        assert hrefs[f"{base}/feeds/tags/clinical-trials/atom.xml"] == "application/atom+xml"
        assert hrefs[f"{base}/feeds/tags/clinical-trials/feed.json"] == "application/feed+json"


def test_a_websub_hub_pushes_the_new_feed_to_its_subscribers(
    client: Client, hub: WebSubHub, receiver: Receiver
) -> None:
    topic = f"{client.base_url}/feeds/tags/websub/rss.xml"
    publish(
        client,
        "hub-1",
        title="First for the hub",
        tags=["WebSub"],
        published_at="2026-11-24T09:00:00Z",
    )
    wait_until(lambda: titles(client, "/feeds/tags/websub/rss.xml") == ["First for the hub"])
    subscribed = httpx.post(
        hub.url,
        data={
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.secret": "subscriber-secret",
            "hub.callback": f"{receiver.url}/subscriber",
        },
    )
    assert subscribed.status_code == 202
    assert receiver.verifications[-1]["hub.topic"] == [topic]

    publish(
        client,
        "hub-2",
        title="Second for the hub",
        tags=["WebSub"],
        published_at="2026-11-24T10:00:00Z",
    )
    pushed = wait_until(
        lambda: [r for r in receiver.received("/subscriber") if b"Second for the hub" in r.body]
    )
    parsed = feedparser.parse(pushed[0].body)
    assert [e.title for e in parsed.entries] == ["Second for the hub", "First for the hub"]
    assert pushed[0].headers["x-hub-signature"].startswith("sha512=")


def test_json_feed_is_served_as_json(client: Client) -> None:
    publish(client, "json-1", title="Als JSON")
    wait_until(lambda: titles(client, "/feeds/feed.json") == ["Als JSON"])
    body = client.http.get("/feeds/feed.json", headers={"Accept-Encoding": "identity"}).content
    assert json.loads(body)["version"] == "https://jsonfeed.org/version/1.1"


def test_web_processes_drop_their_copy_of_a_feed_as_soon_as_a_worker_stores_a_new_one(
    client: Client, runtime: Runtime
) -> None:
    """Each web process keeps feeds in memory for up to SYNDICATE_FEED_CACHE_SECONDS; the
    worker's announcement makes a new article show at once, however long that is."""
    patient = replace(
        runtime, settings=runtime.settings.model_copy(update={"feed_cache_seconds": 600})
    )
    server = WebServer(create_app(patient)).start()
    try:
        reader = httpx.Client(base_url=server.url, timeout=10)
        publish(client, "c1", title="Cached first")
        wait_until(lambda: "Cached first" in reader.get("/feeds/feed.json").text)

        publish(client, "c2", title="Announced second")

        wait_until(lambda: "Announced second" in reader.get("/feeds/feed.json").text, timeout=15)
    finally:
        server.stop()


def test_edited_content_replaces_the_old_and_is_made_safe_again(client: Client) -> None:
    publish(client, "e1", content_html="<p>First draft of the story.</p>")
    wait_until(lambda: "First draft" in client.http.get("/feeds/feed.json").text)

    publish(
        client,
        "e1",
        content_html='<p onclick="steal()">Final <a href="more/">text</a><script>x()</script>',
    )

    def content() -> str:
        items = client.http.get("/feeds/feed.json").json()["items"]
        return str(items[0]["content_html"]) if items else ""

    wait_until(lambda: "Final" in content())
    assert "First draft" not in content()
    assert "onclick" not in content() and "<script" not in content()
    assert 'href="https://news.example/2026/more/"' in content()


def test_a_fault_while_answering_a_feed_is_a_logged_json_500(
    client: Client,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Feeds are answered before the app's own error handling: a bug there is answered and
    logged as the app answers its own, never with an empty or plain-text 500."""
    publish(client, "f1", title="Faulty")
    wait_until(lambda: "Faulty" in client.http.get("/feeds/feed.json").text)
    app = create_app(runtime)
    assert app.feed_route is not None

    def broken(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.feed_route.responder, "answer", broken)
    server = WebServer(app).start()
    try:
        with caplog.at_level("ERROR", logger="syndicate.web.feedroute"):
            answer = httpx.get(f"{server.url}/feeds/feed.json", timeout=10)
        assert answer.status_code == 500
        assert answer.json()["error"] == "internal_error"
        assert "a bug" not in answer.text
        assert any("/feeds/feed.json" in r.getMessage() and r.exc_info for r in caplog.records)
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
