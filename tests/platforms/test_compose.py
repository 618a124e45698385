"""Composition keeps every post within its platform's limit, and never breaks what matters."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from syndicate.compose import CompositionError, hashtags, with_tracking
from syndicate.platforms import PLATFORMS, bluesky
from syndicate.platforms.bluesky import display_url
from syndicate.text import ELLIPSIS
from tests.platforms.conftest import URL, compose_for, make_article

GOLDEN = Path(__file__).parent / "golden"
LONG_TITLE = " ".join(["Extraordinary"] * 40)
CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "cjk": {
        "title": "東京都議会が新しい予算案を可決した" * 6,
        "summary": "議論は三年続いた。" * 30,
    },
    "emoji": {"title": "Families 👨‍👩‍👧‍👦 wave 👋🏽 at the 🇯🇵 team", "summary": "🎉" * 150},
    "combining": {"title": "Cafe\u0301 owners in Zu\u0308rich protest", "tags": ["Cafe\u0301"]},
    "rtl": {"title": "שלום עולם: a bilingual headline", "summary": "مرحبا بالعالم " * 40},
    "long-query": {"url": URL + "?ref=" + "x" * 300 + "&id=7"},
    "tags": {
        "tags": ["clinical trials", "C++", "Clinical-Trials", "2026", "Ünïcode fun", "#already"]
    },
    "long-title": {"title": LONG_TITLE, "summary": "Short."},
    "markup": {
        "title": 'AT&T <Co> & "Partners" (finally) reach_deal',
        "summary": "A < B && C > D.",
    },
    "linkedin-parenthesis": {
        "title": "Budget (revised) passes [again] with #1 vote @council",
        "summary": "It is *done* ~ mostly_.",
    },
}


def outcome(platform: str, case: str) -> dict[str, Any]:
    composed, adapter = compose_for(
        platform,
        make_article(**CASES[case]),
        tracking={"utm_source": platform, "utm_medium": "social"},
    )
    return {
        "text": composed.draft.text,
        "length": adapter.measure(composed.draft.text),
        "limit": adapter.max_length,
        "problems": composed.problems,
    }


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_golden_posts(platform: str) -> None:
    """Each platform's post for each tricky case, as reviewed and stored in golden/."""
    path = GOLDEN / f"{platform}.json"
    actual = {case: outcome(platform, case) for case in CASES}
    if os.environ.get("SYNDICATE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n")
    assert actual == json.loads(path.read_text())
    for case, result in actual.items():
        assert result["problems"] == [], (case, result)
        assert result["length"] <= result["limit"], case


def test_an_over_long_title_is_shortened_at_a_word_with_an_ellipsis() -> None:
    composed, adapter = compose_for("x", make_article(title=LONG_TITLE))
    first_line = composed.draft.text.splitlines()[0]
    assert first_line.endswith("Extraordinary" + ELLIPSIS)
    assert adapter.measure(composed.draft.text) <= 280
    assert URL in composed.draft.text


def test_the_summary_goes_before_the_title_is_touched() -> None:
    article = make_article(summary="A sentence that fits. " + "Then a great deal more. " * 40)
    composed, _ = compose_for("bluesky", article)
    assert composed.draft.text.startswith(article.title + "\n\nA sentence that fits.")


def test_tracking_parameters_are_merged_into_the_existing_query() -> None:
    tracked = with_tracking(
        "https://n.example.com/a?id=7&utm_source=old#top",
        {"utm_source": "mastodon", "utm_medium": "social"},
    )
    assert tracked == "https://n.example.com/a?id=7&utm_source=mastodon&utm_medium=social#top"
    composed, _ = compose_for("mastodon", tracking={"utm_campaign": "launch week"})
    assert URL + "?utm_campaign=launch+week" in composed.draft.text


def test_hashtags_are_camel_cased_deduplicated_and_limited() -> None:
    tags = ["clinical trials", "Clinical-Trials", "C++", "2026", "Ünïcode fun", "#Science!"]
    assert hashtags(tags, 10) == ["ClinicalTrials", "C", "ÜnïcodeFun", "Science"]
    assert hashtags(tags, 2) == ["ClinicalTrials", "C"]
    composed, _ = compose_for("mastodon", make_article(tags=tags), max_hashtags=1)
    assert composed.draft.text.endswith("#ClinicalTrials")


def test_mentions_use_the_authors_handle_on_that_platform() -> None:
    composed, _ = compose_for("mastodon")
    assert "by @ada@news.example.com" in composed.draft.text
    composed, _ = compose_for("x")
    assert "@ada " in composed.draft.text


def test_a_post_that_cannot_fit_even_title_and_link_is_invalid_with_a_reason() -> None:
    composed, _ = compose_for("mastodon", max_length=20)
    assert composed.problems == [
        f"too long: {len(composed.draft.text.split(chr(10))[0]) + 25} characters, the limit is 20"
    ] or composed.problems[0].startswith("too long:")
    assert URL in composed.draft.text


def test_bluesky_facets_cover_exactly_the_link_and_the_tags() -> None:
    article = make_article(title="東京 👨‍👩‍👧‍👦 news", tags=["Clinical Trials", "Tōkyō"])
    composed, _ = compose_for("bluesky", article, tracking={"utm_source": "bluesky"})
    data = composed.draft.text.encode()
    spans = {}
    for facet in composed.draft.extras["facets"]:
        index, (feature,) = facet["index"], facet["features"]
        spans[data[index["byteStart"] : index["byteEnd"]].decode()] = feature
    link = URL + "?utm_source=bluesky"
    assert spans[display_url(link)]["uri"] == link  # shown short, linked in full
    assert display_url(link) == "news.example.com/2026/11/river-…"
    assert spans["#ClinicalTrials"]["tag"] == "ClinicalTrials"
    assert spans["#Tōkyō"]["tag"] == "Tōkyō"
    external = composed.draft.extras["embed"]["external"]
    assert external["uri"] == URL + "?utm_source=bluesky"
    assert external["title"] == article.title


def test_linkedin_escapes_the_text_and_carries_the_link_in_an_article_block() -> None:
    article = make_article(**CASES["linkedin-parenthesis"])
    composed, _ = compose_for("linkedin", article)
    assert composed.draft.text.startswith(
        r"Budget \(revised\) passes \[again\] with \#1 vote \@council"
    )
    assert r"It is \*done\* \~ mostly\_." in composed.draft.text
    assert "{hashtag|\\#|LocalPolitics}" in composed.draft.text
    assert composed.draft.extras["content"]["article"]["source"] == URL
    assert composed.draft.extras["content"]["article"]["title"] == article.title


def test_telegram_html_is_escaped_and_well_formed() -> None:
    composed, _ = compose_for("telegram", make_article(**CASES["markup"]))
    assert "AT&amp;T &lt;Co&gt; &amp;" in composed.draft.text
    fragment = lxml_html.fragment_fromstring(composed.draft.text, create_parent="div")
    assert fragment.find("b").text_content() == CASES["markup"]["title"]


def test_discord_embeds_stay_within_embed_limits() -> None:
    article = make_article(title="T" * 400, summary="word " * 2000)
    composed, _ = compose_for("discord", article)
    embed = composed.draft.extras["embed"]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert len(embed["title"]) + len(embed["description"]) <= 6000
    assert composed.problems == []


def test_a_broken_template_is_a_composition_error(tmp_path: Path) -> None:
    (tmp_path / "posts/x").mkdir(parents=True)
    (tmp_path / "posts/x/broken.txt.j2").write_text("{{ article.nope }}")
    from syndicate.compose import compose
    from tests.platforms.conftest import adapter_for, channel

    ch = channel("x", template="posts/x/broken.txt.j2")
    with pytest.raises(CompositionError, match="nope"):
        compose(make_article(), ch, adapter_for(ch), tmp_path)


def test_templates_are_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "posts/x").mkdir(parents=True)
    (tmp_path / "posts/x/evil.txt.j2").write_text("{{ article.__class__.__mro__ }}")
    from syndicate.compose import compose
    from tests.platforms.conftest import adapter_for, channel

    ch = channel("x", template="posts/x/evil.txt.j2")
    with pytest.raises(CompositionError):
        compose(make_article(), ch, adapter_for(ch), tmp_path)


def test_the_cms_s_social_copy_stands_in_for_the_title_and_summary_and_is_fitted() -> None:
    social = make_article(
        syndication={
            "social_title": "Bridge: yes",
            "social_text": {"default": "Short copy.", "bluesky-main": "Wordy copy. " * 60},
        }
    )
    composed, adapter = compose_for("mastodon", social)
    assert composed.draft.text.startswith("Bridge: yes\n\nShort copy.")
    composed, adapter = compose_for("bluesky", social, name="bluesky-main")
    assert composed.problems == []
    assert composed.draft.text.startswith("Bridge: yes\n\nWordy copy.")
    assert ELLIPSIS in composed.draft.text
    assert adapter.measure(composed.draft.text) <= adapter.max_length


def test_a_post_carries_the_description_of_its_image() -> None:
    described, _ = compose_for("mastodon", make_article(image_alt="The harbour bridge at dawn"))
    assert described.draft.extras["alt"] == "The harbour bridge at dawn"
    drawn, _ = compose_for("mastodon", make_article(image_alt=""))
    assert drawn.draft.extras["alt"] == "Council approves the new river crossing"  # the title


def test_authors_are_mentioned_as_each_platform_mentions() -> None:
    people = [
        {
            "name": "Ada (Reporter)",
            "handles": {
                "linkedin": "urn:li:person:a1B2",
                "x": "ada",
                "threads": "@ada.writes",
                "bluesky": "ada.bsky.social",
            },
        }
    ]
    story = make_article(authors=people)
    assert "By @[Ada Reporter](urn:li:person:a1B2)" in compose_for("linkedin", story)[0].draft.text
    assert "@ada #LocalPolitics" in compose_for("x", story)[0].draft.text
    assert "@ada.writes #LocalPolitics" in compose_for("threads", story)[0].draft.text
    sky = compose_for("bluesky", story)[0].draft
    (mention,) = [f for f in sky.extras["facets"] if f["features"][0]["$type"] == bluesky.MENTION]
    assert mention["features"][0] == {"$type": bluesky.MENTION, "handle": "ada.bsky.social"}
    start, end = mention["index"]["byteStart"], mention["index"]["byteEnd"]
    assert sky.text.encode()[start:end] == b"@ada.bsky.social"
    named = make_article(authors=[{"name": "Ada", "handles": {"linkedin": "ada-reporter"}}])
    assert "By Ada" in compose_for("linkedin", named)[0].draft.text  # not a URN: no mention


def test_a_story_too_long_for_one_post_becomes_a_numbered_thread() -> None:
    summary = " ".join(f"Sentence number {n} of the council's long account." for n in range(30))
    story = make_article(summary=summary)
    composed, adapter = compose_for("mastodon", story, thread="auto")
    parts = [composed.draft.text, *composed.draft.extras["thread"]]
    assert composed.problems == [] and len(parts) > 2
    assert all(adapter.measure(part) <= adapter.max_length for part in parts)
    assert URL in parts[0]  # the link, and its card, on the first part
    replies = composed.draft.extras["thread"]
    assert [r.split(" ", 1)[0] for r in replies] == [
        f"{n}/{len(parts)}" for n in range(2, len(parts) + 1)
    ]
    told = " ".join([parts[0], *(r.split(" ", 1)[1] for r in replies)])
    assert all(f"Sentence number {n} " in told for n in range(30))  # whole sentences, in order
    short, _ = compose_for("mastodon", make_article(), thread="auto")
    assert "thread" not in short.draft.extras
    cut, _ = compose_for("mastodon", story)
    assert "thread" not in cut.draft.extras and ELLIPSIS in cut.draft.text
