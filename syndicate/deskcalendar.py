"""The desk's view of time: which posts are scheduled, embargoed and sent in a span, each
channel's quiet hours and daily counts against its cap, and how each channel stands today."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from syndicate import channelrules, channels, routing
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import (
    Article,
    Delivery,
    DeliveryAction,
    DeliveryOutcome,
    Post,
    PostStatus,
)

LONGEST_SPAN = timedelta(days=31)
WAITING = (PostStatus.PENDING_REVIEW, PostStatus.APPROVED)


@dataclass(frozen=True)
class Entry:
    """A post on the calendar: `kind` is `scheduled`, `embargoed` (its time is the embargo's
    end) or `sent`."""

    post_id: int
    channel: str
    article_id: str
    title: str
    kind: str
    at: datetime
    status: str
    revision: int


@dataclass(frozen=True)
class Lane:
    """One channel across the span: its quiet hours as moments, and posts sent on each of its
    days against its cap."""

    name: str
    platform: str
    timezone: str
    quiet_hours: str
    max_per_day: int | None
    quiet: list[tuple[datetime, datetime]] = field(default_factory=list)
    sent_per_day: dict[date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Calendar:
    starts: datetime
    ends: datetime
    lanes: list[Lane]
    entries: list[Entry]


def _waiting_entries(session: Session, starts: datetime, ends: datetime) -> list[Entry]:
    rows = session.execute(
        select(Post, Article.title, Article.not_before)
        .join(Article, Article.id == Post.article_id)
        .where(
            Post.status.in_(WAITING),
            or_(
                Post.scheduled_at.between(starts, ends),
                Article.not_before.between(starts, ends),
            ),
        )
    )
    entries = []
    for post, title, embargo in rows:
        scheduled = post.scheduled_at if post.status == PostStatus.APPROVED else None
        if embargo is not None and (scheduled is None or embargo >= scheduled):
            kind, at = "embargoed", embargo
        elif scheduled is not None:
            kind, at = "scheduled", scheduled
        else:
            continue
        if starts <= at < ends:
            entry = Entry(
                post.id, post.channel, post.article_id, title, kind, at, post.status, post.revision
            )
            entries.append(entry)
    return entries


def _sent_entries(session: Session, starts: datetime, ends: datetime) -> list[Entry]:
    rows = session.execute(
        select(Post, Article.title, Delivery.finished_at)
        .join(Delivery, Delivery.post_id == Post.id)
        .join(Article, Article.id == Post.article_id)
        .where(
            Delivery.action == DeliveryAction.SEND,
            Delivery.outcome == DeliveryOutcome.SENT,
            Delivery.finished_at >= starts,
            Delivery.finished_at < ends,
        )
    )
    return [
        Entry(p.id, p.channel, p.article_id, title, "sent", at, p.status, p.revision)
        for p, title, at in rows
        if at is not None
    ]


def _sends(
    session: Session, starts: datetime, ends: datetime, channel: str | None = None
) -> list[tuple[str, datetime]]:
    """(channel, started) of every send that went out, or is going, in the span: what caps
    count."""
    query = (
        select(Post.channel, Delivery.started_at)
        .join(Post, Post.id == Delivery.post_id)
        .where(
            Delivery.action == DeliveryAction.SEND,
            Delivery.outcome.in_([DeliveryOutcome.SENT, DeliveryOutcome.SENDING]),
            Delivery.started_at >= starts,
            Delivery.started_at < ends,
        )
    )
    if channel is not None:
        query = query.where(Post.channel == channel)
    return [(name, started) for name, started in session.execute(query)]


def _lane(channel: ChannelConfig, starts: datetime, ends: datetime, sends: Counter[date]) -> Lane:
    rules = channel.rules
    zone = ZoneInfo(rules.timezone)
    first, last = starts.astimezone(zone).date(), ends.astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return Lane(
        name=channel.name,
        platform=channel.platform,
        timezone=rules.timezone,
        quiet_hours=rules.quiet_hours,
        max_per_day=rules.max_per_day,
        quiet=routing.quiet_spans(rules, starts, ends),
        sent_per_day={day: sends[day] for day in days},
    )


def build(session: Session, config: SyndicateConfig, starts: datetime, ends: datetime) -> Calendar:
    """The calendar from `starts` to `ends` (at most 31 days), for the active channels."""
    if ends <= starts or ends - starts > LONGEST_SPAN:
        raise ValueError("the span must end after it starts, and last at most 31 days")
    config = channelrules.effective(session, config)
    active = {c.name: c for c in config.active_channels}
    # A channel's days may begin before the span does, in its own time zone.
    sends = _sends(session, starts - timedelta(days=1), ends + timedelta(days=1))
    per_channel: dict[str, Counter[date]] = {name: Counter() for name in active}
    for name, started in sends:
        if name in active:
            zone = ZoneInfo(active[name].rules.timezone)
            per_channel[name][started.astimezone(zone).date()] += 1
    entries = _waiting_entries(session, starts, ends) + _sent_entries(session, starts, ends)
    entries = sorted((e for e in entries if e.channel in active), key=lambda e: (e.at, e.post_id))
    lanes = [_lane(c, starts, ends, per_channel[c.name]) for c in active.values()]
    return Calendar(starts, ends, lanes, entries)


@dataclass(frozen=True)
class ChannelToday:
    """How a channel stands in its own day: sent against its cap, when it sends next, what is
    wrong with it, and how many articles its rules or the CMS kept off it."""

    name: str
    platform: str
    sent_today: int
    max_per_day: int | None
    next_send: datetime | None
    health: str
    excluded_today: int


def _next_send(session: Session, channel: ChannelConfig, now: datetime) -> datetime | None:
    """When the channel's next approved post may go: its own time, its article's embargo, then
    the channel's quiet hours and cap."""
    waiting = session.execute(
        select(Post.next_attempt_at, Post.scheduled_at, Article.not_before)
        .join(Article, Article.id == Post.article_id)
        .where(Post.channel == channel.name, Post.status == PostStatus.APPROVED)
        .limit(1000)
    )
    times = [
        max(t for t in (attempt, scheduled, embargo, now) if t is not None)
        for attempt, scheduled, embargo in waiting
    ]
    if not times:
        return None
    moment = min(times)
    wait = routing.send_wait(session, channel.name, channel.rules, moment)
    return moment + timedelta(seconds=wait)


def today(session: Session, config: SyndicateConfig, now: datetime) -> list[ChannelToday]:
    found = []
    config = channelrules.effective(session, config)
    states = channels.states(session)
    days = {c.name: routing.day_of(c.rules, now) for c in config.active_channels}
    # Articles changed since the earliest of the channels' days began, read once for all.
    earliest = min((begins for begins, _ in days.values()), default=now)
    kept_off = [
        (changed, reasons or {})
        for changed, reasons in session.execute(
            select(Article.changed_at, Article.excluded_from)
            .where(Article.changed_at >= earliest)
            .limit(5000)
        )
    ]
    for channel in config.active_channels:
        begins, ends = days[channel.name]
        sent = len(_sends(session, begins, ends, channel.name))
        excluded = sum(1 for at, reasons in kept_off if at >= begins and channel.name in reasons)
        state = states.get(channel.name)
        paused = channels.paused_because(session, channel.name)
        if state is not None and state.needs_credentials:
            health = "needs new credentials"
        elif paused:
            health = paused
        else:
            failed = session.scalar(
                select(func.count()).where(
                    Post.channel == channel.name,
                    Post.status == PostStatus.FAILED,
                    Post.updated_at >= now - timedelta(hours=24),
                )
            )
            health = f"{failed} failed in 24 h" if failed else "ok"
        found.append(
            ChannelToday(
                name=channel.name,
                platform=channel.platform,
                sent_today=sent,
                max_per_day=channel.rules.max_per_day,
                next_send=_next_send(session, channel, now),
                health=health,
                excluded_today=excluded,
            )
        )
    return found
