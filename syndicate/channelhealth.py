"""Every channel's credentials are checked regularly (hourly by default), from the beat's sweep:
the same harmless read as `syndicate channels check`, its verdict stored with since when the
channel has been failing, and a channel whose credentials the platform refuses paused as
needing new ones, as a refused delivery pauses it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from syndicate import channels
from syndicate.checks import ChannelCheck, check_channel
from syndicate.config import SyndicateConfig
from syndicate.db import insert_ignoring_conflicts
from syndicate.http import make_session
from syndicate.models import ChannelHealth
from syndicate.tokens import TokenVault

# A check handed to a worker that has not reported after this long is handed out again.
CLAIM_MINUTES = 10


def due(
    session: Session, config: SyndicateConfig, now: datetime, interval_seconds: float
) -> list[str]:
    """The enabled channels whose last check is older than the interval, claimed for this
    sweep: a sweep running beside it gets none of them."""
    names = [c.name for c in config.active_channels]
    if not names:
        return []
    insert_ignoring_conflicts(session, ChannelHealth, [{"channel": name} for name in names])
    rows = session.scalars(
        select(ChannelHealth)
        .where(
            ChannelHealth.channel.in_(names),
            or_(
                ChannelHealth.checked_at.is_(None),
                ChannelHealth.checked_at < now - timedelta(seconds=interval_seconds),
            ),
            or_(
                ChannelHealth.claimed_at.is_(None),
                ChannelHealth.claimed_at < now - timedelta(minutes=CLAIM_MINUTES),
            ),
        )
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.claimed_at = now
    return sorted(row.channel for row in rows)


def check(
    factory: sessionmaker[Session],
    name: str,
    config: SyndicateConfig,
    now: Callable[[], datetime],
    http: Callable[[], requests.Session] = make_session,
) -> ChannelCheck | None:
    """Check one channel and record what was found; None if it is no longer configured."""
    channel = config.channel(name)
    if channel is None or not channel.enabled:
        return None
    found = check_channel(channel, TokenVault(factory), http)
    checked = now()
    with factory.begin() as session:
        row = session.get(ChannelHealth, name, with_for_update=True) or ChannelHealth(channel=name)
        row.verdict, row.detail, row.checked_at, row.claimed_at = (
            found.verdict,
            found.detail[:2000],
            checked,
            None,
        )
        failing = found.verdict == "attention"
        row.failing_since = (row.failing_since or checked) if failing else None
        session.add(row)
        if found.refused:
            reason = f"the regular check: {found.detail}"
            channels.pause(session, name, reason, checked, needs_credentials=True)
    return found


def recorded(session: Session) -> dict[str, ChannelHealth]:
    return {row.channel: row for row in session.scalars(select(ChannelHealth))}
