"""The card check fetches the article page as each platform's crawler does and says what its
card will show or miss, against a newsroom site on loopback."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from PIL import Image

from syndicate import preflight
from syndicate.fetch import FetchRefused, GuardedFetcher, is_reserved_name
from tests.fakes.article_site import Answer, ArticleSite, picture

ON_LOOPBACK = GuardedFetcher(allow_private=True, timeout=5)


@pytest.fixture
def site() -> Iterator[ArticleSite]:
    server = ArticleSite()
    yield server
    server.stop()


def story(site: ArticleSite, image: str = "/share.jpg", **tags: str) -> str:
    url = f"{site.url}/2026/story"
    card = {
        "og:title": "Council approves the crossing",
        "og:description": "Seven votes to two.",
        "og:url": url,
        "og:image": image,
        **tags,
    }
    site.page("/2026/story", {k: v for k, v in card.items() if v}, canonical=url)
    return url


def test_a_good_page_makes_a_full_card_for_the_platform_s_own_crawler(site: ArticleSite) -> None:
    url = story(site)
    site.image("/share.jpg", picture(1200, 630))
    report = preflight.check(url, "facebook", ON_LOOPBACK)
    assert report.warnings == []
    assert report.status == 200
    assert (report.title, report.description) == (
        "Council approves the crossing",
        "Seven votes to two.",
    )
    assert report.image == f"{site.url}/share.jpg"
    agents = {path: agent for path, agent in site.user_agents if "facebookexternalhit" in agent}
    assert {"/2026/story", "/share.jpg", "/robots.txt"} <= set(agents)


def test_a_page_without_an_image_or_a_title_says_so(site: ArticleSite) -> None:
    url = story(site, image="", **{"og:title": ""})
    report = preflight.check(url, "mastodon", ON_LOOPBACK)
    assert "no og:image: Mastodon shows the card without a picture" in report.warnings
    assert any(w.startswith("no og:title") for w in report.warnings)


def test_an_image_too_small_for_x_is_fine_for_telegram(site: ArticleSite) -> None:
    url = story(site)
    site.image("/share.jpg", picture(200, 100))
    assert preflight.check(url, "x", ON_LOOPBACK).warnings == [
        "the image is 200x100; X needs at least 300x157"
    ]
    assert preflight.check(url, "telegram", ON_LOOPBACK).warnings == []


def test_linkedin_refuses_a_webp_image_that_facebook_shows(site: ArticleSite) -> None:
    url = story(site, image="/share.webp")
    site.image("/share.webp", picture(1200, 630, "WEBP"), "image/webp")
    assert preflight.check(url, "linkedin", ON_LOOPBACK).warnings == [
        "LinkedIn does not show image/webp images"
    ]
    assert preflight.check(url, "facebook", ON_LOOPBACK).warnings == []


def test_an_image_over_the_platform_s_size_is_named_with_its_size(site: ArticleSite) -> None:
    url = story(site, image="/huge.png")
    noise = Image.frombytes("RGB", (1500, 1500), os.urandom(1500 * 1500 * 3))
    site.image("/huge.png", noise_png(noise), "image/png")
    (warning,) = preflight.check(url, "telegram", ON_LOOPBACK).warnings
    assert warning.startswith("the image is 6.") and warning.endswith("Telegram takes at most 5 MB")


def noise_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def test_an_unreachable_image_and_an_og_url_that_is_not_canonical(site: ArticleSite) -> None:
    url = story(site, image="/gone.jpg", **{"og:url": f"{site.url}/2026/story?utm_source=x"})
    warnings = preflight.check(url, "discord", ON_LOOPBACK).warnings
    assert warnings == [
        f"og:url is {site.url}/2026/story?utm_source=x, not the canonical address {url}",
        "the image answers HTTP 404",
    ]


def test_a_page_that_answers_the_bot_differently_is_caught(site: ArticleSite) -> None:
    url = f"{site.url}/2026/walled"
    page = b'<html><head><meta property="og:title" content="Walled"></head></html>'

    def walled(agent: str) -> Answer:
        if "Twitterbot" in agent:
            return Answer(403, body=b"forbidden")
        if "facebookexternalhit" in agent:
            return Answer(302, location="/subscribe")
        return Answer(body=page)

    site.routes["/2026/walled"] = walled
    site.routes["/subscribe"] = lambda agent: Answer(body=b"<html>Subscribe</html>")
    x = preflight.check(url, "x", ON_LOOPBACK)
    assert x.status == 403
    assert x.warnings == ["the page answers X's crawler with HTTP 403, readers 200"]
    facebook = preflight.check(url, "facebook", ON_LOOPBACK).warnings
    assert facebook[0] == (
        f"Facebook's crawler is sent to {site.url}/subscribe, readers to {url}: "
        "a paywall or sign-in redirect?"
    )


def test_robots_txt_that_keeps_one_bot_out_is_reported_for_that_bot(site: ArticleSite) -> None:
    url = story(site)
    site.image("/share.jpg", picture(1200, 630))
    robots = b"User-agent: Twitterbot\nDisallow: /2026/\n\nUser-agent: *\nAllow: /\n"
    site.routes["/robots.txt"] = lambda agent: Answer(content_type="text/plain", body=robots)
    assert preflight.check(url, "x", ON_LOOPBACK).warnings == [
        "robots.txt keeps Twitterbot out of this page: no card at all"
    ]
    assert preflight.check(url, "facebook", ON_LOOPBACK).warnings == []


def test_the_page_is_fetched_through_the_address_guard(site: ArticleSite) -> None:
    url = story(site)
    report = preflight.check(url, "facebook", GuardedFetcher(timeout=5))
    assert report.status is None
    assert report.warnings == [
        "Facebook's crawler cannot fetch the page: 127.0.0.1 resolves to a non-public address"
    ]
    assert site.user_agents == []


def test_posts_whose_card_travels_in_the_post_are_not_crawled() -> None:
    assert not preflight.checks_posts_on("bluesky")
    assert not preflight.checks_posts_on("linkedin")
    assert not preflight.checks_posts_on("webhook")
    assert preflight.checks_posts_on("mastodon")


def test_names_reserved_for_examples_are_refused_without_a_lookup() -> None:
    for name in ("news.example", "a.test", "x.invalid", "example.com", "www.example.org"):
        assert is_reserved_name(name), name
    for name in ("example.community", "news.example.co.uk", "testing.org"):
        assert not is_reserved_name(name), name
    with pytest.raises(FetchRefused, match="reserved for examples and tests"):
        GuardedFetcher(timeout=5).get("https://news.example/2026/story", {}, 1024)
