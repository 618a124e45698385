"""A channel's rules: which articles it posts (section, tags, authors, age), which skip review
(`auto_approve_tags`), and when it may send (quiet hours and a daily cap, in its time zone)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.config import ChannelRules
from syndicate.models import Article, Delivery, DeliveryAction, DeliveryOutcome, Post


def _folded(values: list[str]) -> set[str]:
    return {v.casefold() for v in values}


def excluded_by(rules: ChannelRules, article: Article, now: datetime) -> str | None:
    """Why the rules keep the article off the channel, naming the rule; None if they do not."""
    tags = _folded(article.tags or [])
    if rules.sections and (article.section or "").casefold() not in _folded(rules.sections):
        shown = f"the section {article.section!r}" if article.section else "no section"
        return f"rules.sections: {shown} is not one of {', '.join(rules.sections)}"
    if rules.tags_any and not tags & _folded(rules.tags_any):
        return f"rules.tags_any: none of the tags {', '.join(rules.tags_any)}"
    unwanted = sorted(t for t in article.tags or [] if t.casefold() in _folded(rules.tags_none))
    if unwanted:
        return f"rules.tags_none: tagged {', '.join(unwanted)}"
    names = {str(a.get("name", "")).casefold() for a in article.authors or []}
    if rules.authors and not names & _folded(rules.authors):
        return f"rules.authors: by none of {', '.join(rules.authors)}"
    if rules.max_age_hours is not None:
        age = now - article.published_at
        if age > timedelta(hours=rules.max_age_hours):
            hours, limit = age.total_seconds() / 3600, rules.max_age_hours
            return f"rules.max_age_hours: published {hours:.0f} h ago, the limit is {limit:g} h"
    return None


def fast_tracked(rules: ChannelRules, article: Article) -> bool:
    """Whether the article's tags let its post skip review."""
    return bool(_folded(article.tags or []) & _folded(rules.auto_approve_tags))


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(rules: ChannelRules, now: datetime) -> datetime | None:
    """When the quiet hours `now` falls in end (in UTC), or None outside them."""
    if not rules.quiet_hours:
        return None
    zone = ZoneInfo(rules.timezone)
    local = now.astimezone(zone)
    start, end = (_clock(part) for part in rules.quiet_hours.split("-"))
    today = local.date()
    for day in (today - timedelta(days=1), today):
        begins = datetime.combine(day, start, zone)
        ends = datetime.combine(day + timedelta(days=1) if end <= start else day, end, zone)
        if begins <= local < ends:
            return ends.astimezone(UTC)
    return None


def quiet_spans(
    rules: ChannelRules, starts: datetime, ends: datetime
) -> list[tuple[datetime, datetime]]:
    """The quiet hours that fall between `starts` and `ends`, as UTC moments, cut to the span."""
    if not rules.quiet_hours:
        return []
    zone = ZoneInfo(rules.timezone)
    start, end = (_clock(part) for part in rules.quiet_hours.split("-"))
    day, last = starts.astimezone(zone).date() - timedelta(days=1), ends.astimezone(zone).date()
    spans = []
    while day <= last:
        begins = datetime.combine(day, start, zone).astimezone(UTC)
        finish = datetime.combine(day + timedelta(days=1) if end <= start else day, end, zone)
        if begins < ends and finish.astimezone(UTC) > starts:
            spans.append((max(begins, starts), min(finish.astimezone(UTC), ends)))
        day += timedelta(days=1)
    return spans


def day_of(rules: ChannelRules, now: datetime) -> tuple[datetime, datetime]:
    """The channel's day around `now`, from local midnight to the next, in UTC."""
    zone = ZoneInfo(rules.timezone)
    day = now.astimezone(zone).date()
    begins = datetime.combine(day, time(0), zone)
    ends = datetime.combine(day + timedelta(days=1), time(0), zone)
    return begins.astimezone(UTC), ends.astimezone(UTC)


def cap_reached_until(
    session: Session, channel: str, rules: ChannelRules, now: datetime
) -> datetime | None:
    """When the channel may send again if today's posts have reached `max_per_day`."""
    if rules.max_per_day is None:
        return None
    begins, ends = day_of(rules, now)
    sent = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Post, Post.id == Delivery.post_id)
        .where(
            Post.channel == channel,
            Delivery.action == DeliveryAction.SEND,
            Delivery.outcome.in_([DeliveryOutcome.SENT, DeliveryOutcome.SENDING]),
            Delivery.started_at >= begins,
            Delivery.started_at < ends,
        )
    )
    return ends if (sent or 0) >= rules.max_per_day else None


def send_wait(session: Session, channel: str, rules: ChannelRules, now: datetime) -> float:
    """Seconds until the rules let the channel send (0 when they do now)."""
    until = max(
        (
            t
            for t in (quiet_until(rules, now), cap_reached_until(session, channel, rules, now))
            if t
        ),
        default=None,
    )
    if until is None:
        return 0.0
    later = quiet_until(rules, until)  # the next day may begin inside the quiet hours
    return max(0.0, ((later or until) - now).total_seconds())
