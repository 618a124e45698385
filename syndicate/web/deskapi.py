"""The social desk's API: what it was told (notifications), its calendar, and channel rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from syndicate import channelrules, deskcalendar, notifications
from syndicate.config import ChannelConfig, ChannelRules
from syndicate.models import utcnow
from syndicate.moments import Moment
from syndicate.runtime import Runtime
from syndicate.web.auth import Admin, Viewer
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError

router = APIRouter(prefix="/api", tags=["desk"])


class NotificationOut(BaseModel):
    id: int
    target: str
    event: str
    subject: str
    status: str
    attempts: int
    error: str
    created_at: datetime
    sent_at: datetime | None


@router.get("/notifications", response_model=list[NotificationOut])
def notification_log(
    session: DbSession, who: Admin, limit: int = Query(default=100, ge=1, le=200)
) -> list[NotificationOut]:
    """Every message to a `[[notifications]]` target, newest first, and how sending it went."""
    return [
        NotificationOut.model_validate(n, from_attributes=True)
        for n in notifications.recent(session, limit)
    ]


class SpanOut(BaseModel):
    from_: datetime = Field(serialization_alias="from")
    to: datetime


class DayOut(BaseModel):
    date: date
    sent: int
    cap: int | None


class LaneOut(BaseModel):
    name: str
    platform: str
    timezone: str
    quiet_hours: str
    max_per_day: int | None
    quiet: list[SpanOut]
    days: list[DayOut]


class EntryOut(BaseModel):
    id: int
    channel: str
    article_id: str
    title: str
    kind: str = Field(description="scheduled, embargoed (its time is the embargo's end) or sent")
    at: datetime
    status: str
    revision: int


class CalendarOut(BaseModel):
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    channels: list[LaneOut]
    posts: list[EntryOut]


@router.get("/calendar", response_model=CalendarOut, response_model_by_alias=True)
def calendar(
    runtime: AppRuntime,
    session: DbSession,
    who: Viewer,
    starts: Annotated[Moment | None, Query(alias="from")] = None,
    ends: Annotated[Moment | None, Query(alias="to")] = None,
) -> CalendarOut:
    """Scheduled, embargoed and sent posts per channel from `from` to `to` (RFC 3339; a week
    from now by default, 31 days at most), with each channel's quiet hours and its posts per
    day against its cap."""
    starts = starts or utcnow()
    ends = ends or starts + timedelta(days=7)
    try:
        found = deskcalendar.build(session, runtime.config, starts, ends)
    except ValueError as exc:
        raise ApiError(422, str(exc), [{"field": "to", "message": str(exc)}]) from None
    return CalendarOut(
        from_=found.starts,
        to=found.ends,
        channels=[
            LaneOut(
                name=lane.name,
                platform=lane.platform,
                timezone=lane.timezone,
                quiet_hours=lane.quiet_hours,
                max_per_day=lane.max_per_day,
                quiet=[SpanOut(from_=a, to=b) for a, b in lane.quiet],
                days=[
                    DayOut(date=day, sent=sent, cap=lane.max_per_day)
                    for day, sent in sorted(lane.sent_per_day.items())
                ],
            )
            for lane in found.lanes
        ],
        posts=[
            EntryOut(
                id=e.post_id,
                channel=e.channel,
                article_id=e.article_id,
                title=e.title,
                kind=e.kind,
                at=e.at,
                status=e.status,
                revision=e.revision,
            )
            for e in found.entries
        ],
    )


def _channel(runtime: Runtime, name: str) -> ChannelConfig:
    channel = runtime.config.channel(name)
    if channel is None:
        raise ApiError(404, f"no channel {name!r}")
    return channel


@router.get("/channels/{name}/rules", response_model=ChannelRules)
def channel_rules(name: str, runtime: AppRuntime, session: DbSession, who: Viewer) -> ChannelRules:
    """The channel's routing rules as they stand: set by an admin, or else the site file's."""
    return channelrules.rules_of(session, _channel(runtime, name))


@router.put("/channels/{name}/rules", response_model=ChannelRules)
def set_channel_rules(
    name: str, rules: ChannelRules, runtime: AppRuntime, who: Admin
) -> ChannelRules:
    """Replace the site file's rules for the channel (every key; those left out are empty)."""
    channel = _channel(runtime, name)
    with runtime.factory.begin() as tx:
        channelrules.save(tx, channel.name, rules, who.name, utcnow())
    return rules


@router.delete("/channels/{name}/rules", status_code=204)
def reset_channel_rules(name: str, runtime: AppRuntime, who: Admin) -> None:
    """Go back to the site file's rules for the channel."""
    channel = _channel(runtime, name)
    with runtime.factory.begin() as tx:
        channelrules.reset(tx, channel.name, who.name, utcnow())
