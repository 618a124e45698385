"""Sitemaps for search engines: Google News's (the last 48 hours, at most 1,000, with the
publication's name and language, the date and the title) and an index of every article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from tests.client import Client, article, envelope

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# The sitemaps.org schema as published (scripts/schemas installs it), and Google's News rules.
SITEMAP_XSD = Path(__file__).parents[1] / "peers/schemas/node_modules/sitemap/schema/sitemap.xsd"
NEWS_XSD = Path(__file__).parents[1] / "fixtures/schemas/news-rules.xsd"


def schema(*imported: tuple[str, Path]) -> etree.XMLSchema:
    """One schema importing each namespace's, as a validator meets a sitemap that mixes them."""
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in imported
    )
    return etree.XMLSchema(
        etree.fromstring(
            f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
        )
    )


def valid(document: bytes, against: etree.XMLSchema) -> list[str]:
    """What the schema finds wrong with the document: nothing, if it is valid."""
    against.validate(etree.fromstring(document))
    return [f"line {error.line}: {error.message}" for error in against.error_log]


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def published(client: Client) -> dict[str, datetime]:
    now = datetime.now(UTC)
    when = {
        "fresh": now - timedelta(hours=2),
        "yesterday": now - timedelta(hours=30),
        "old": now - timedelta(hours=60),
    }
    for article_id, moment in when.items():
        payload = article(article_id, title=f"Story {article_id} & more", published_at=iso(moment))
        assert client.send(envelope(payload)).status_code == 202
    withdrawn = article("withdrawn", published_at=iso(now - timedelta(hours=1)))
    assert client.send(envelope(withdrawn)).status_code == 202
    assert client.send(envelope({"id": "withdrawn"}, "article.unpublished")).status_code == 202
    return when


def test_the_news_sitemap_lists_the_last_48_hours_newest_first(
    client: Client, published: dict[str, datetime]
) -> None:
    response = client.http.get("/sitemaps/news.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.headers["surrogate-key"] == "sitemaps"
    root = etree.fromstring(response.content)
    assert root.tag == f"{SM}urlset"
    urls = root.findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [
        "https://news.example/2026/fresh",
        "https://news.example/2026/yesterday",
    ]
    news = urls[0].find(f"{NEWS}news")
    assert news is not None
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Test Newsroom"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Story fresh & more"
    stated = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date") or "")
    assert abs(stated - published["fresh"]) < timedelta(seconds=1)
    again = client.http.get(
        "/sitemaps/news.xml", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_the_article_index_leads_to_every_published_article(
    client: Client, published: dict[str, datetime]
) -> None:
    index = etree.fromstring(client.http.get("/sitemaps/articles.xml").content)
    assert index.tag == f"{SM}sitemapindex"
    (page_url,) = [loc.text for loc in index.iter(f"{SM}loc")]
    assert page_url == f"{client.base_url}/sitemaps/articles/1.xml"
    page = etree.fromstring(client.http.get("/sitemaps/articles/1.xml").content)
    locs = [u.findtext(f"{SM}loc") for u in page.findall(f"{SM}url")]
    assert locs == [f"https://news.example/2026/{a}" for a in ("old", "yesterday", "fresh")]
    assert all(u.findtext(f"{SM}lastmod") for u in page.findall(f"{SM}url"))
    assert client.http.get("/sitemaps/articles/2.xml").status_code == 404


def test_the_sitemaps_are_valid_against_the_sitemap_schema_and_the_news_rules(
    client: Client, published: dict[str, datetime]
) -> None:
    sitemaps = schema((SM[1:-1], SITEMAP_XSD), (NEWS[1:-1], NEWS_XSD))
    news = client.http.get("/sitemaps/news.xml").content
    assert valid(news, sitemaps) == []
    assert valid(client.http.get("/sitemaps/articles/1.xml").content, sitemaps) == []
    # The check is not a formality: a news entry without its title is refused.
    untitled = news.replace(b"<news:title>Story fresh &amp; more</news:title>", b"")
    assert untitled != news
    assert any("title" in problem for problem in valid(untitled, sitemaps))
