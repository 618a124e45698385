"""The home page says what the installation publishes, whether it is healthy, and where to go."""

from __future__ import annotations

import pytest
from lxml import html

from tests.client import Client
from tests.servers import wait_until


@pytest.mark.usefixtures("worker", "beat")
@pytest.mark.usefixtures("people")  # set up: an administrator exists
def test_the_home_page_shows_the_feeds_the_health_and_the_way_in(client: Client) -> None:
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page = html.fromstring(response.text)
    assert page.findtext(".//h1") == "Syndicate for Test Newsroom"
    assert page.xpath('//link[@rel="stylesheet"]/@href') == ["/review/static/review.css"]

    def health() -> dict[str, str] | None:
        shown = html.fromstring(client.http.get("/").text)
        rows = shown.xpath('//ul[@class="plain health"]/li')
        found = {li.findtext("strong"): li.findtext("span") for li in rows}
        return found if found.get("worker") == "ok" else None  # once the beat has swept

    assert wait_until(health, timeout=60) == {"database": "ok", "broker": "ok", "worker": "ok"}
    links = set(page.xpath("//a/@href"))
    assert {"/review/", "/feeds", "/docs", f"{client.base_url}/feeds/rss.xml"} <= links
