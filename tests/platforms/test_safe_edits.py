"""A reviewer's text is made safe for the platform before it is stored: Telegram's HTML subset
checked and stray characters escaped, LinkedIn's reserved characters escaped and typed
hashtags made real; what cannot be mended is refused, naming the problem."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from syndicate import articles, posts, review
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.models import Post, utcnow
from syndicate.platforms.base import EditRefused
from syndicate.platforms.telegram import escape_html
from syndicate.platforms.telegram_html import safe_html
from syndicate.preview import preview
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.platforms.conftest import adapter_for, channel

LINKEDIN = adapter_for(channel("linkedin"))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("AT&T and A < B > C", "AT&amp;T and A &lt; B &gt; C"),
        (
            "Fish &amp; chips &#8212; &quot;fresh&quot;",
            "Fish &amp; chips &#8212; &quot;fresh&quot;",
        ),
        ("&nbsp; is not Telegram's", "&amp;nbsp; is not Telegram's"),
        ("<b>Bold</b> and <i>it</i>", "<b>Bold</b> and <i>it</i>"),
        ('<a href="https://news.example/x">read</a>', '<a href="https://news.example/x">read</a>'),
        ('<span class="tg-spoiler">secret</span>', '<span class="tg-spoiler">secret</span>'),
        ("I <3 you", "I &lt;3 you"),
        ("<b >spaced</b>", "<b >spaced</b>"),
    ],
)
def test_telegram_html_is_kept_and_stray_characters_escaped(typed: str, stored: str) -> None:
    assert safe_html(typed) == stored


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("<div>block</div>", "<div> is not a tag Telegram allows"),
        ("<b>never closed", "the <b> tag is never closed"),
        ("<b><i>crossed</b></i>", "</b> comes where </i> was expected"),
        ("stray </i>", "</i> closes no tag"),
        ('<a href="javascript:alert(1)">x</a>', "a link is <a href="),
        ('<b class="x">x</b>', "the <b> tag takes no attributes"),
        ("<span>plain span</span>", "only as <span class"),
    ],
)
def test_telegram_html_that_cannot_be_mended_is_refused(typed: str, problem: str) -> None:
    with pytest.raises(EditRefused, match=problem.replace("(", r"\(")):
        safe_html(typed)


@given(st.text(max_size=300))
def test_any_escaped_text_passes_telegram_unchanged(text: str) -> None:
    assert safe_html(escape_html(text)) == escape_html(text)


@given(st.text(alphabet=st.sampled_from("<>&/ab i=\"'#;x1"), max_size=60))
def test_whatever_telegram_html_accepts_is_stable_and_fully_escaped(text: str) -> None:
    try:
        stored = safe_html(text)
    except EditRefused:
        return
    assert safe_html(stored) == stored
    outside_tags = [part for part in stored.replace("<", "\0<").split("\0") if part]
    for part in outside_tags:
        body = part.split(">", 1)[1] if part.startswith("<") else part
        assert "<" not in body and ">" not in body
    entities = re.findall(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});", stored)
    assert stored.count("&") == len(entities)  # every & begins an entity Telegram knows


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Budget (revised) passes", "Budget \\(revised\\) passes"),
        ("Already \\(escaped\\)", "Already \\(escaped\\)"),
        ("Vote #Budget2026 now", "Vote {hashtag|\\#|Budget2026} now"),
        ("Kept {hashtag|\\#|Council}", "Kept {hashtag|\\#|Council}"),
        ("By @[Ada Quill](urn:li:person:abc123)", "By @[Ada Quill](urn:li:person:abc123)"),
        ("a_b * c ~ d @ e | f", "a\\_b \\* c \\~ d \\@ e \\| f"),
        ("C# and ## and #_x", "C\\# and \\#\\# and \\#\\_x"),
    ],
)
def test_linkedin_reserved_characters_are_escaped_and_hashtags_made_real(
    typed: str, stored: str
) -> None:
    assert LINKEDIN.edited_text(typed) == stored


@given(st.text(max_size=300))
def test_linkedin_edits_are_stable(text: str) -> None:
    once = LINKEDIN.edited_text(text)
    assert LINKEDIN.edited_text(once) == once


def test_an_edit_telegram_would_refuse_is_not_stored_and_the_preview_names_it(
    runtime: Runtime, clean: None
) -> None:
    telegram = ChannelConfig(name="tg", platform="telegram", target="@news")
    cfg = SyndicateConfig(site=SiteConfig(title="Test"), channels=[telegram])
    data = article("tg-1", title="Harbour")
    articles.receive(runtime.factory, parse_generic(envelope(data)), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, "tg-1", cfg, runtime.templates, utcnow())
        post = session.scalars(select(Post)).one()
        post_id, before = post.id, post.text

    with runtime.factory.begin() as session, pytest.raises(EditRefused, match="never closed"):
        review.edit(session, post_id, "<b>Harbour", cfg, runtime.templates, utcnow())
    with runtime.factory() as session:
        assert session.get_one(Post, post_id).text == before
        shown = preview(session.get_one(Post, post_id).article, telegram, runtime.templates, "<b>x")
    assert shown.problems[0] == "the <b> tag is never closed" and not shown.valid

    link = data["url"]
    with runtime.factory.begin() as session:
        review.edit(session, post_id, f"AT&T <b>now</b> {link}", cfg, runtime.templates, utcnow())
    with runtime.factory() as session:
        assert session.get_one(Post, post_id).text == f"AT&amp;T <b>now</b> {link}"
