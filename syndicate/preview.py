"""Previews: what a channel's post for an article would be, or how an edited text measures,
through the same code that composes and checks real posts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syndicate import threads
from syndicate.adapters import adapter
from syndicate.compose import compose
from syndicate.config import ChannelConfig
from syndicate.models import Article
from syndicate.platforms.base import Draft, EditRefused
from syndicate.templating import Templates


@dataclass(frozen=True)
class Preview:
    text: str
    length: int
    limit: int
    unit: str
    valid: bool
    problems: list[str]
    extras: dict[str, Any]


def preview(
    article: Article, channel: ChannelConfig, templates_dir: Templates, text: str | None = None
) -> Preview:
    platform = adapter(channel)
    composed = compose(article, channel, platform, templates_dir)
    draft = composed.draft
    refused: list[str] = []
    replies: list[str] = []
    if text is not None:
        if channel.thread == "auto":
            text, replies = threads.split(text)
        try:
            text = platform.edited_text(text)
            replies = [platform.edited_text(part) for part in replies]
        except EditRefused as exc:
            refused.append(str(exc))
        kept = {k: v for k, v in draft.extras.items() if k in ("article", "alt", "first_reply")}
        if replies:
            kept["thread"] = replies
        draft = platform.finish(Draft(text=text, link=draft.link, extras=kept))
    problems = refused + platform.problems(draft)
    for number, part in enumerate(draft.extras.get("thread") or [], start=2):
        length = platform.measure(part)
        if length > platform.max_length:
            problems.append(
                f"part {number} of the thread is too long: {length} {platform.limits.unit}, "
                f"the limit is {platform.max_length}"
            )
    return Preview(
        text=draft.text,
        length=platform.measure(draft.text),
        limit=platform.max_length,
        unit=platform.limits.unit,
        valid=not problems,
        problems=problems,
        extras=draft.extras,
    )
