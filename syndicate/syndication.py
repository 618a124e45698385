"""What the CMS's `syndication` object says for one channel: whether the article is shared
there, whether its rules are bypassed, which copy the post uses, and when it may be sent."""

from __future__ import annotations

from datetime import datetime

from syndicate.cms import SyndicationIn
from syndicate.models import Article


def controls(article: Article) -> SyndicationIn:
    return SyndicationIn.model_validate(article.syndication or {})


def excluded_by(controls: SyndicationIn, channel: str) -> str | None:
    """Why the CMS keeps the article off the channel, naming the key; None if it does not."""
    if not controls.share:
        return "syndication.share is false"
    if channel in controls.exclude_channels:
        return "syndication.exclude_channels names it"
    if controls.channels is not None and channel not in controls.channels:
        listed = ", ".join(controls.channels) or "none"
        return f"syndication.channels lists only {listed}"
    return None


def chosen(controls: SyndicationIn, channel: str) -> bool:
    """Whether the CMS named the channel itself, which then posts whatever its rules say."""
    return controls.channels is not None and channel in controls.channels


def social_text(controls: SyndicationIn, channel: str) -> str | None:
    """The channel's own copy, or the copy for every channel, or None."""
    text = controls.social_text.get(channel)
    return text if text is not None else controls.social_text.get("default")


def embargo_wait(article: Article, now: datetime) -> float:
    """Seconds until the article's embargo lifts (0 when it has none, or it has passed)."""
    if article.not_before is None:
        return 0.0
    return max(0.0, (article.not_before - now).total_seconds())
