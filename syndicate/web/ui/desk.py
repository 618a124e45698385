"""The desk's pages: the calendar of scheduled, embargoed and sent posts, and what the desk
was told (every notification, its target, and how sending it went)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from syndicate import deskcalendar, notifications
from syndicate.deskcalendar import Entry
from syndicate.models import utcnow
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError
from syndicate.web.ui.session import PREFIX, AdminPage, ViewerPage, notice_for, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/notifications")
def notification_log(runtime: AppRuntime, session: DbSession, who: AdminPage) -> Response:
    return render(
        runtime,
        "review/notifications.html.j2",
        who,
        rows=notifications.recent(session),
        targets=runtime.config.notifications,
    )


def _day(value: str | None, zone: ZoneInfo) -> date:
    if not value:
        return utcnow().astimezone(zone).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a date (YYYY-MM-DD)"
        raise ApiError(422, message, [{"field": "date", "message": message}]) from None


@router.get("/calendar")
def calendar_page(
    request: Request,
    runtime: AppRuntime,
    session: DbSession,
    who: ViewerPage,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    view: Literal["week", "day"] = "week",
) -> Response:
    """A week (from Monday) or one day, in the viewer's time zone: each channel's posts, its
    quiet hours and its posts per day against its cap, with a form to move each waiting post."""
    zone = ZoneInfo(who.timezone)
    shown = _day(day, zone)
    first = shown - timedelta(days=shown.weekday()) if view == "week" else shown
    days = [first + timedelta(days=n) for n in range(7 if view == "week" else 1)]
    starts = datetime.combine(days[0], time(0), zone).astimezone(UTC)
    ends = datetime.combine(days[-1] + timedelta(days=1), time(0), zone).astimezone(UTC)
    found = deskcalendar.build(session, runtime.config, starts, ends)
    cells: dict[tuple[str, date], list[Entry]] = {}
    for entry in found.entries:
        cells.setdefault((entry.channel, entry.at.astimezone(zone).date()), []).append(entry)
    step = timedelta(days=7 if view == "week" else 1)
    return render(
        runtime,
        "review/calendar.html.j2",
        who,
        calendar=found,
        days=days,
        cells=cells,
        view=view,
        today=utcnow().astimezone(zone).date(),
        earlier=(first - step).isoformat(),
        later=(first + step).isoformat(),
        timezone=who.timezone,
        notice=notice_for(request),
    )
