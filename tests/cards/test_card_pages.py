"""Card pages as link-preview crawlers read them, checked with extruct and lxml."""

from __future__ import annotations

import io
from typing import Any

import extruct
import pytest
from lxml import html
from PIL import Image

from tests.client import Client, article, envelope
from tests.fakes.images import ImageHost
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")
CRAWLER = {
    "User-Agent": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
}
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0"}
TITLE = "Ελλάδα & \"Россия\" <b>talk</b> — 日本 says 'yes'"
SUMMARY = (
    "Negotiators met for eleven hours in Thessaloniki & agreed on a framework that both "
    "sides called historic, although several details about energy, transit fees and the "
    "timetable for ratification remain open until the spring."
)


def card(client: Client, article_id: str, headers: dict[str, str] = CRAWLER) -> str | None:
    response = client.http.get(f"/cards/{article_id}", headers=headers)
    return response.text if response.status_code == 200 else None


def meta_tags(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in html.fromstring(page).xpath("//meta[@property or @name]"):
        found.setdefault(tag.get("property") or tag.get("name"), []).append(tag.get("content"))
    return found


def publish(client: Client, article_id: str, **fields: Any) -> dict[str, Any]:
    art = article(article_id, **fields)
    assert client.send(envelope(art)).status_code == 202
    return art


def test_a_card_carries_every_tag_link_previews_read(client: Client) -> None:
    art = publish(
        client,
        "greece",
        title=TITLE,
        summary=SUMMARY,
        language="el-GR",
        section="World",
        tags=["Diplomacy", "Energy & Gas"],
        authors=[
            {
                "name": "Zoë Ångström",
                "url": "https://news.example.com/zoe",
                "handles": {"x": "@zoe", "mastodon": "@zoe@news.example.com"},
            }
        ],
    )
    page = wait_until(lambda: card(client, "greece"))
    data = extruct.extract(page, syntaxes=["opengraph", "json-ld"], uniform=True)
    og = data["opengraph"][0]
    assert og["og:title"] == TITLE
    assert og["@type"] == "article"  # extruct reports og:type as @type
    assert og["og:url"] == art["url"]
    assert og["og:site_name"] == "Test Newsroom"
    assert og["og:locale"] == "el_GR"
    assert og["og:description"].endswith("…") and len(og["og:description"]) <= 200
    assert SUMMARY.startswith(og["og:description"][:-1])
    assert og["og:image"].startswith(f"{client.base_url}/cards/greece/image-")
    assert og["og:image:type"] == "image/png"
    assert (og["og:image:width"], og["og:image:height"]) == ("1200", "630")
    assert og["og:image:alt"] == TITLE
    assert og["article:published_time"] == "2026-11-24T09:30:00+00:00"
    assert og["article:section"] == "World"

    tags = meta_tags(page)
    assert tags["article:tag"] == ["Diplomacy", "Energy & Gas"]
    assert tags["article:author"] == ["https://news.example.com/zoe"]
    assert tags["article:modified_time"] == ["2026-11-24T09:30:00+00:00"]
    assert tags["twitter:card"] == ["summary_large_image"]
    assert tags["twitter:creator"] == ["@zoe"]
    assert tags["twitter:title"] == [TITLE]
    assert tags["twitter:image"] == [og["og:image"]]
    assert tags["twitter:image:alt"] == [TITLE]
    assert tags["fediverse:creator"] == ["zoe@news.example.com"]
    assert html.fromstring(page).xpath('//link[@rel="canonical"]/@href') == [art["url"]]

    (ld,) = data["json-ld"]
    assert ld["@type"] == "NewsArticle" and ld["headline"] == TITLE
    assert ld["image"] == [og["og:image"]]
    assert ld["author"] == [
        {"@type": "Person", "name": "Zoë Ångström", "url": "https://news.example.com/zoe"}
    ]
    assert ld["publisher"]["name"] == "Test Newsroom"
    assert ld["datePublished"] == "2026-11-24T09:30:00+00:00"


def test_the_share_image_is_served_for_ever_and_changes_url_with_the_article(
    client: Client,
) -> None:
    art = publish(client, "imaged", title="Before the edit")
    first = meta_tags(wait_until(lambda: card(client, "imaged")))["og:image"][0]
    response = client.http.get(first)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "immutable" in response.headers["cache-control"]
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)
    assert len(response.content) < 1_000_000

    edited = dict(art, title="After the edit", updated_at="2026-11-25T10:00:00Z")
    assert client.send(envelope(edited, event="article.updated")).status_code == 202
    second = wait_until(
        lambda: (
            (p := card(client, "imaged")) and "After the edit" in p and meta_tags(p)["og:image"][0]
        )
    )
    assert second != first
    assert client.http.get(first).status_code == 404
    assert client.http.get(second).status_code == 200


def test_people_are_sent_on_to_the_article_and_crawlers_are_not(client: Client) -> None:
    art = publish(client, "humans")
    crawler_page = wait_until(lambda: card(client, "humans"))
    assert 'http-equiv="refresh"' not in crawler_page
    browser_page = card(client, "humans", BROWSER)
    assert f'http-equiv="refresh" content="0; url={art["url"]}"' in browser_page


def test_the_meta_snippet_carries_the_same_tags(client: Client) -> None:
    publish(client, "snippet", title="Snippet & <tags>")
    page = wait_until(lambda: card(client, "snippet"))
    snippet = client.http.get("/cards/snippet/meta")
    assert snippet.status_code == 200 and snippet.headers["content-type"].startswith("text/html")
    in_page = {k: v for k, v in meta_tags(page).items() if k != "viewport"}
    assert meta_tags(f"<html><head>{snippet.text}</head></html>") == in_page
    assert "<html" not in snippet.text


def test_an_image_on_a_private_address_is_not_fetched_and_the_card_still_builds(
    client: Client,
) -> None:
    host = ImageHost()
    try:
        publish(client, "private-image", image={"url": host.url("/photo.jpg"), "alt": "A photo"})
        page = wait_until(lambda: card(client, "private-image"))
        image = client.http.get(meta_tags(page)["og:image"][0])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert meta_tags(page)["og:image:alt"] == ["A photo"]
        assert host.requests == []  # loopback is not public: never fetched
    finally:
        host.stop()


def test_unknown_and_unpublished_articles_have_no_card(client: Client) -> None:
    assert client.http.get("/cards/never-published").status_code == 404
    publish(client, "pulled")
    wait_until(lambda: card(client, "pulled"))
    assert client.send(envelope({"id": "pulled"}, event="article.unpublished")).status_code == 202
    assert client.http.get("/cards/pulled").status_code == 410
