"""How posts, times and changes are shown: highlighted text, local times, word diffs."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from syndicate.moments import in_range
from syndicate.text import URL

# Links first, so a "#" inside a URL is not read as a hashtag.
_TOKENS = re.compile(
    rf"(?P<link>{URL.pattern})|(?P<hashtag>(?<![\w&])#\w+)|(?P<mention>(?<![\w/])@\w+(?:@[\w.-]+\w)?)"
)


def highlight(text: str) -> Markup:
    """The post's text, escaped, with links, hashtags and mentions marked up as the platforms
    would show them."""
    out, position = [], 0
    for match in _TOKENS.finditer(text):
        out.append(escape(text[position : match.start()]))
        kind = match.lastgroup or "link"
        out.append(Markup('<span class="tok-{}">{}</span>').format(kind, match.group()))
        position = match.end()
    out.append(escape(text[position:]))
    return Markup("").join(out)


def local_time(moment: datetime | None, timezone: str, with_zone: bool = True) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(zoneinfo.ZoneInfo(timezone))
    return local.strftime("%Y-%m-%d %H:%M" + (" %Z" if with_zone else ""))


# Every IANA zone this machine knows, for the reviewer to choose from.
TIME_ZONES: tuple[str, ...] = tuple(sorted(zoneinfo.available_timezones()))


def input_time(moment: datetime | None, timezone: str) -> str:
    """A value for <input type="datetime-local"> in the person's own time zone."""
    if moment is None:
        return ""
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def from_input_time(value: str, timezone: str) -> datetime:
    """A datetime-local value, read in the person's time zone, as an aware datetime in UTC;
    ValueError if it is not one, or not between 1970 and 2199."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    return in_range(moment)


@dataclass(frozen=True)
class Piece:
    op: str  # "same", "del" or "ins"
    text: str


def word_diff(before: str, after: str) -> list[Piece]:
    old, new = re.findall(r"\s+|\S+", before), re.findall(r"\s+|\S+", after)
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("del", "".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("ins", "".join(new[j1:j2])))
    return pieces


SHOWN_FIELDS = ("title", "summary", "url", "tags", "authors", "section", "image_url", "language")


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def diff(self) -> list[Piece]:
        return word_diff(self.before, self.after)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(v.get("name", "") if isinstance(v, dict) else str(v) for v in value)
    return "" if value is None else str(value)


def article_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What changed between two stored revisions of an article, field by field."""
    changes = []
    for name in SHOWN_FIELDS:
        old, new = _shown(before.get(name)), _shown(after.get(name))
        if old != new:
            changes.append(Change(name, old, new))
    return changes


def embargoed(article: Any, now: datetime) -> bool:
    """Whether the CMS's embargo on the article's posts is still ahead."""
    moment = getattr(article, "not_before", None)
    return moment is not None and moment > now
