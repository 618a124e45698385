"""The review app shows each post as its platform will: markup rendered, escapes undone, and
nothing a CMS or reviewer wrote able to run in the page."""

from __future__ import annotations

import pytest

from syndicate.web.ui.looks import as_shown


@pytest.mark.parametrize(
    ("platform", "text", "shown"),
    [
        ("telegram", "<b>Vote</b> &amp; <i>count</i>", "<b>Vote</b> &amp; <i>count</i>"),
        ("telegram", '<a href="javascript:alert(1)">x</a><script>x</script>', "<a"),
        (
            "linkedin",
            "Budget \\(revised\\) {hashtag|\\#|Council}",
            'Budget (revised) <span class="tok-hashtag">#Council</span>',
        ),
        (
            "linkedin",
            "By @[Ada Quill](urn:li:person:a1)",
            'By <span class="tok-mention">Ada Quill</span>',
        ),
        (
            "discord",
            "**Breaking** ~~old~~ __new__ <b>",
            "<strong>Breaking</strong> <s>old</s> <u>new</u> &lt;b&gt;",
        ),
        (
            "slack",
            "*Vote* _today_ <https://news.example/a|the story>",
            "<strong>Vote</strong> <em>today</em> "
            '<a href="https://news.example/a" rel="noopener noreferrer nofollow">the story</a>',
        ),
        (
            "mastodon",
            "<b>not html</b> #Tag",
            '&lt;b&gt;not html&lt;/b&gt; <span class="tok-hashtag">#Tag</span>',
        ),
    ],
)
def test_each_platform_s_markup_is_shown_as_it_will_look(
    platform: str, text: str, shown: str
) -> None:
    assert shown in str(as_shown(platform, text))


def test_nothing_written_can_run_in_the_page() -> None:
    hostile = '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:x">y</a>'
    for platform in ("telegram", "linkedin", "discord", "slack", "x"):
        page = str(as_shown(platform, hostile)).lower()
        assert "<script" not in page and "<img" not in page, platform
        assert 'href="javascript' not in page, platform
