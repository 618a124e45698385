"""A post's text as its platform will show it: Telegram's HTML rendered, LinkedIn's little
text unescaped, Slack's mrkdwn and Discord's markdown styled; links, hashtags and mentions
marked everywhere. Everything else is escaped: nothing a CMS or reviewer wrote runs here."""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from markupsafe import Markup, escape

from syndicate.web.ui.display import highlight

_TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "a"}
_TELEGRAM_TAGS |= {"code", "pre", "blockquote"}
_LINKEDIN = re.compile(
    r"\{hashtag\|\\#\|(?P<tag>[^{}|\\]+)\}"
    r"|@\[(?P<name>[^\[\]]+)\]\(urn:li:[a-z]+:[^()\s]+\)"
    r"|\\(?P<char>[\\|{}@\[\]()<>#*_~])"
)
# (pattern, tag) pairs applied to escaped text, longest markers first.
_DISCORD = [
    (re.compile(r"\*\*(.+?)\*\*", re.S), "strong"),
    (re.compile(r"__(.+?)__", re.S), "u"),
    (re.compile(r"~~(.+?)~~", re.S), "s"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S), "em"),
]
_SLACK = [
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S), "strong"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", re.S), "em"),
    (re.compile(r"(?<![\w~])~(?!\s)(.+?)(?<!\s)~(?![\w~])", re.S), "s"),
]
_SLACK_LINK = re.compile(r"&lt;(https?://[^|&\s]+)\|([^&]+?)&gt;")


def _telegram(text: str) -> Markup:
    cleaned = nh3.clean(
        text.replace("\n", "<br>"),
        tags=_TELEGRAM_TAGS | {"br"},
        attributes={"a": {"href"}, "span": {"class"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # sanitised by nh3 to Telegram's own tags


def _linkedin(text: str) -> Markup:
    out, position = [], 0
    for match in _LINKEDIN.finditer(text):
        out.append(highlight(text[position : match.start()]))
        if match.group("tag"):
            out.append(Markup('<span class="tok-hashtag">#{}</span>').format(match.group("tag")))
        elif match.group("name"):
            out.append(Markup('<span class="tok-mention">{}</span>').format(match.group("name")))
        else:
            out.append(escape(match.group("char")))
        position = match.end()
    out.append(highlight(text[position:]))
    return Markup("").join(out)


def _apply(rules: list[tuple[re.Pattern[str], str]], escaped: str) -> str:
    """Wrap each marked span of already escaped text in its fixed tag."""
    for pattern, tag in rules:
        escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
    return escaped


def _styled(rules: list[tuple[re.Pattern[str], str]]) -> Callable[[str], Markup]:
    def render(text: str) -> Markup:
        return Markup(_apply(rules, str(highlight(text))))  # escaped text and fixed tags only

    return render


def _slack(text: str) -> Markup:
    shown = _apply(_SLACK, str(escape(text)))
    shown = _SLACK_LINK.sub(r'<a href="\1" rel="noopener noreferrer nofollow">\2</a>', shown)
    return Markup(shown)  # escaped text and fixed tags only


LOOKS: dict[str, Callable[[str], Markup]] = {
    "telegram": _telegram,
    "linkedin": _linkedin,
    "discord": _styled(_DISCORD),
    "slack": _slack,
}


def as_shown(platform: str, text: str) -> Markup:
    return LOOKS.get(platform, highlight)(text)
