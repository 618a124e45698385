"""Share intents: each platform's documented URL, its encoding, the UTM tags, and text that
fits the platform's limit as the platform's own composer measures it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from syndicate.config import SHARE_BUTTONS, ChannelConfig
from syndicate.models import Article
from syndicate.platforms.mastodon import Mastodon
from syndicate.platforms.threads import Threads
from syndicate.platforms.x import X
from syndicate.settings import PROJECT_ROOT
from syndicate.share.composers import BlueskyShare, RedditShare
from syndicate.share.instances import instance_host
from syndicate.share.links import (
    BUTTONS,
    Shared,
    ShareLink,
    mastodon_intent,
    share_links,
    shared_text,
)

TEMPLATES = PROJECT_ROOT / "templates"
BASE = "https://syndicate.news.example"
TRICKY_TITLE = "Fish & chips #1: 東京の味 🐟 — “50% off” + more?"


def make_article(**fields: object) -> Article:
    values: dict[str, object] = {
        "id": "a/1 ü",
        "url": "https://news.example/2026/fish?ref=home",
        "title": TRICKY_TITLE,
        "summary": "A short summary.",
        "authors": [],
        "tags": ["Food", "Tokyo"],
        "language": "en",
    }
    values.update(fields)
    return Article(**values)


def links_for(article: Article) -> dict[str, ShareLink]:
    return {
        link.button: link for link in share_links(article, list(SHARE_BUTTONS), {}, BASE, TEMPLATES)
    }


def make_shared(text: str) -> Shared:
    return Shared(text=text, url="", title="")


def query(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    return {key: values[0] for key, values in parsed.items()}


def tagged(button: str) -> str:
    return f"https://news.example/2026/fish?ref=home&utm_medium=share_button&utm_source={button}"


EXPECTED_PREFIX = {
    "x": "https://x.com/intent/tweet?",
    "bluesky": "https://bsky.app/intent/compose?",
    "threads": "https://www.threads.net/intent/post?",
    "linkedin": "https://www.linkedin.com/sharing/share-offsite/?",
    "facebook": "https://www.facebook.com/sharer/sharer.php?",
    "telegram": "https://t.me/share/url?",
    "whatsapp": "https://wa.me/?",
    "reddit": "https://www.reddit.com/submit?",
    "email": "mailto:?",
}


@pytest.mark.parametrize("button", sorted(EXPECTED_PREFIX))
def test_each_intent_is_the_platforms_documented_url(button: str) -> None:
    link = links_for(make_article())[button]
    assert link.intent.startswith(EXPECTED_PREFIX[button])


def test_text_intents_carry_the_title_and_the_tagged_link_intact() -> None:
    links = links_for(make_article())
    for button in ("x", "bluesky", "threads", "whatsapp"):
        text = query(links[button].intent)["text"]
        assert text.startswith(TRICKY_TITLE), button
        assert tagged(button) in text, button
    mastodon = query(
        mastodon_intent(
            "mastodon.social", shared_text(make_article(), BUTTONS["mastodon"], TEMPLATES)
        )
    )
    assert tagged("mastodon") in mastodon["text"]
    assert query(links["telegram"].intent) == {"url": tagged("telegram"), "text": TRICKY_TITLE}
    assert query(links["reddit"].intent) == {"url": tagged("reddit"), "title": TRICKY_TITLE}
    assert query(links["linkedin"].intent) == {"url": tagged("linkedin")}
    assert query(links["facebook"].intent) == {"u": tagged("facebook")}
    email = query(links["email"].intent)
    assert email["subject"] == TRICKY_TITLE
    assert email["body"] == f"A short summary.\n\n{tagged('email')}"
    assert links["copy"].href == tagged("copy")


def test_reserved_characters_are_percent_encoded_and_spaces_are_not_plus() -> None:
    for link in links_for(make_article()).values():
        if link.button == "copy":
            continue
        query_string = urlsplit(link.intent).query
        assert " " not in query_string and "+" not in query_string, link.button
        assert "#" not in query_string and "“" not in query_string, link.button
        # Each parameter's value holds no raw "&", so the title's "&" is %26.
        for pair in query_string.split("&"):
            assert pair.count("=") == 1, (link.button, pair)
    x = urlsplit(links_for(make_article())["x"].intent).query
    assert "Fish%20%26%20chips%20%231" in x
    assert "%F0%9F%90%9F" in x  # 🐟 as UTF-8
    assert "%E6%9D%B1%E4%BA%AC" in x  # 東京


def test_the_counting_redirect_is_ours_and_escapes_the_article_id() -> None:
    links = links_for(make_article())
    assert links["bluesky"].href == f"{BASE}/share/a%2F1%20%C3%BC/go/bluesky"
    assert links["mastodon"].href == f"{BASE}/share/a%2F1%20%C3%BC/go/mastodon"


def channel(platform: str) -> ChannelConfig:
    return ChannelConfig(name="measure", platform=platform)


def test_long_articles_are_cut_to_fit_each_platform_keeping_the_link() -> None:
    long = make_article(
        title="Budget " * 80 + "ends",
        summary="Every line of the city budget explained in detail. " * 40,
    )
    links = links_for(long)
    session = requests.Session()
    measured = {
        "x": (X(channel("x"), session), 280),
        "threads": (Threads(channel("threads"), session), 500),
        "mastodon": (Mastodon(channel("mastodon"), session), 500),
        "bluesky": (BlueskyShare(channel("bluesky"), session), 300),
    }
    texts = {b: query(links[b].intent)["text"] for b in ("x", "threads", "bluesky")}
    texts["mastodon"] = shared_text(long, BUTTONS["mastodon"], TEMPLATES).text
    for button, (platform, limit) in measured.items():
        text = texts[button]
        assert platform.measure(text) <= limit, button
        assert tagged(button) in text, button
        assert "Budget" in text, button
    reddit_title = query(links["reddit"].intent)["title"]
    assert 0 < RedditShare(channel("x"), session).measure(reddit_title) <= 300
    assert reddit_title.endswith("…")


def test_bluesky_counts_links_in_their_short_form_as_the_app_does() -> None:
    long_url = "https://news.example/2026/" + "a-very-long-slug-" * 10
    text = query(links_for(make_article(url=long_url, summary="S " * 120))["bluesky"].intent)[
        "text"
    ]
    shown = BlueskyShare(channel("bluesky"), __import__("requests").Session()).measure(text)
    assert len(text) > 300 >= shown
    assert long_url in text


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("mastodon.social", "mastodon.social"),
        ("  https://Hachyderm.IO/about ", "hachyderm.io"),
        ("@reader@fosstodon.org", "fosstodon.org"),
        ("toot.café", "toot.xn--caf-dma"),
        ("localhost", None),
        ("127.0.0.1", None),
        ("example.com:8443", None),
        ("javascript:alert(1)", None),
        ("two words.social", None),
        ("-bad.social", None),
        ("", None),
    ],
)
def test_a_mastodon_server_name_is_read_as_readers_type_it(typed: str, host: str | None) -> None:
    assert instance_host(typed) == host
