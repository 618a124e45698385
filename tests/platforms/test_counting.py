"""Each platform counts the way the platform itself does."""

from __future__ import annotations

import pytest
from twitter_text import parse_tweet

from syndicate.platforms.base import Draft
from tests.platforms.conftest import adapter_for, channel

FAMILY = "👨‍👩‍👧‍👦"
SKIN_TONE = "👋🏽"
FLAG = "🇯🇵"
COMBINING = "e\u0301"  # é as e + combining acute
RTL = "שלום עולם"
LONG_URL = (
    "https://news.example.com/a/very/long/path/with/many/parts?query=1&utm_source=x&x=" + "y" * 80
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("日本語", 6),  # CJK weighs 2 each
        (FAMILY, 2),  # one emoji sequence weighs 2
        ("1️⃣", 2),
        (SKIN_TONE + FLAG, 4),
        ("example.com", 23),  # a bare domain is a URL
        (LONG_URL, 23),  # any URL is 23
        (f"Read {LONG_URL} now", 5 + 23 + 4),
        (COMBINING, 1),  # NFC first: e + U+0301 is é
        (RTL, 9),
        ("A & B < C", 9),
        ("", 0),
    ],
)
def test_x_counts_weighted_length_like_twitter_text(text: str, expected: int) -> None:
    x = adapter_for(channel("x"))
    assert x.measure(text) == expected == parse_tweet(text).weightedLength


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FAMILY, 1),
        (SKIN_TONE + FLAG, 2),
        (COMBINING, 1),
        (LONG_URL, 23),
        (f"by @ada@news.example.com {LONG_URL}", 3 + 4 + 1 + 23),
        ("日本語", 3),
    ],
)
def test_mastodon_counts_graphemes_with_links_at_23_and_remote_mentions_short(
    text: str, expected: int
) -> None:
    assert adapter_for(channel("mastodon")).measure(text) == expected


def test_mastodon_counts_the_content_warning_against_the_limit() -> None:
    mastodon = adapter_for(channel("mastodon", content_warning="Spoilers"))
    assert mastodon.measure("abc") == 8 + 3


def test_mastodon_takes_the_instance_limit_from_the_channel() -> None:
    mastodon = adapter_for(channel("mastodon", max_length=5000))
    text = "x" * 4976 + " https://a.example.com/"  # 4976 + 1 + 23 = 5000
    assert mastodon.problems(Draft(text=text, link="")) == []
    assert mastodon.problems(Draft(text="x" + text, link="")) != []


@pytest.mark.parametrize(
    ("text", "graphemes", "utf8"),
    [(FAMILY, 1, 25), (FLAG + COMBINING, 2, 11), ("日本語", 3, 9), (RTL, 9, 17)],
)
def test_bluesky_counts_graphemes_and_bytes(text: str, graphemes: int, utf8: int) -> None:
    bluesky = adapter_for(channel("bluesky"))
    assert bluesky.measure(text) == graphemes
    assert len(text.encode()) == utf8


def test_bluesky_refuses_text_over_3000_bytes_even_under_300_graphemes() -> None:
    bluesky = adapter_for(channel("bluesky"))
    text = FAMILY * 130  # 130 graphemes, 3250 bytes
    problems = bluesky.problems(Draft(text=text, link=""))
    assert problems == ["too long: 3250 bytes of UTF-8, the limit is 3000"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("abc", 3), ("😀", 4), (FAMILY, 25), (FLAG, 8), ("é", 1), ("日本", 2)],
)
def test_threads_counts_emoji_by_their_utf8_bytes(text: str, expected: int) -> None:
    assert adapter_for(channel("threads")).measure(text) == expected


def test_threads_refuses_more_than_five_links() -> None:
    threads = adapter_for(channel("threads"))
    text = " ".join(f"https://e{n}.example.com/" for n in range(6))
    assert "6 different links; Threads allows 5" in threads.problems(Draft(text=text, link=""))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("<b>A &amp; B</b>", 5), ("&lt;tag&gt;", 5), ("😀", 2), ('<a href="https://x.com/">x</a>', 1)],
)
def test_telegram_counts_text_after_entity_parsing_in_utf16(text: str, expected: int) -> None:
    assert adapter_for(channel("telegram")).measure(text) == expected


def test_telegram_photo_captions_have_their_own_limit() -> None:
    assert adapter_for(channel("telegram")).max_length == 4096
    assert adapter_for(channel("telegram", photo=True)).max_length == 1024


def test_linkedin_escapes_every_reserved_character() -> None:
    linkedin = adapter_for(channel("linkedin"))
    assert linkedin.escape(r"a\b|c{d}e@f[g]h(i)j<k>l#m*n_o~p") == (
        r"a\\b\|c\{d\}e\@f\[g\]h\(i\)j\<k\>l\#m\*n\_o\~p"
    )


def test_mastodon_reads_the_instance_limits_once_and_caches_them() -> None:
    from tests.fakes.mastodon import FakeMastodon

    instance = FakeMastodon(max_characters=1000, url_length=30)
    try:
        mastodon = adapter_for(channel("mastodon", url=instance.url))
        assert mastodon.max_length == 1000
        assert mastodon.measure("see https://news.example.com/a") == 4 + 30
        adapter_for(channel("mastodon", url=instance.url)).measure("again")
        assert instance.requests == ["/api/v2/instance"]
    finally:
        instance.stop()


def test_mastodon_falls_back_to_the_defaults_when_the_instance_cannot_say() -> None:
    from tests.fakes.mastodon import FakeMastodon

    instance = FakeMastodon()
    instance.instance = {"version": "3.0.0"}  # before configuration.statuses existed
    try:
        mastodon = adapter_for(channel("mastodon", url=instance.url))
        assert mastodon.max_length == 500
        assert mastodon.measure("https://news.example.com/a") == 23
    finally:
        instance.stop()
