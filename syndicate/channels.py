"""Channel switches: pause and resume one channel or all of them, credentials that need
attention, and pacing (a minimum gap between posts, a maximum an hour)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.config import ChannelConfig
from syndicate.db import insert_ignoring_conflicts
from syndicate.models import ALL_CHANNELS, ChannelState, Delivery, DeliveryOutcome, Post


def _state(session: Session, name: str) -> ChannelState:
    insert_ignoring_conflicts(
        session,
        ChannelState,
        [{"name": name, "paused": False, "needs_credentials": False, "reason": ""}],
    )
    return session.scalars(select(ChannelState).where(ChannelState.name == name)).one()


def pause(
    session: Session, name: str, reason: str, now: datetime, needs_credentials: bool = False
) -> ChannelState:
    """Pause one channel, or every channel with `name="*"`."""
    state = _state(session, name)
    state.paused, state.reason, state.updated_at = True, reason, now
    state.needs_credentials = state.needs_credentials or needs_credentials
    return state


def resume(session: Session, name: str, now: datetime) -> ChannelState:
    state = _state(session, name)
    state.paused, state.needs_credentials, state.reason, state.updated_at = False, False, "", now
    return state


def paused_because(session: Session, name: str) -> str | None:
    """Why the channel may not post now, or None when it may."""
    states = {
        s.name: s
        for s in session.scalars(
            select(ChannelState).where(ChannelState.name.in_([name, ALL_CHANNELS]))
        )
    }
    for key in (ALL_CHANNELS, name):
        state = states.get(key)
        if state is not None and state.paused:
            scope = "all channels are" if key == ALL_CHANNELS else "the channel is"
            return f"{scope} paused: {state.reason}" if state.reason else f"{scope} paused"
    return None


def states(session: Session) -> dict[str, ChannelState]:
    return {s.name: s for s in session.scalars(select(ChannelState))}


def pacing_wait(session: Session, channel: ChannelConfig, now: datetime) -> float:
    """Seconds until the channel may post again under its pacing rules (0 when it may now)."""
    if not channel.min_gap_seconds and not channel.max_per_hour:
        return 0.0
    sent = (
        select(Delivery.started_at)
        .join(Post, Post.id == Delivery.post_id)
        .where(
            Post.channel == channel.name,
            Delivery.outcome.in_([DeliveryOutcome.SENT, DeliveryOutcome.SENDING]),
        )
    )
    wait = 0.0
    if channel.min_gap_seconds:
        last = session.scalar(sent.order_by(Delivery.started_at.desc()).limit(1))
        if last is not None:
            wait = (last + timedelta(seconds=channel.min_gap_seconds) - now).total_seconds()
    if channel.max_per_hour:
        hour_ago = now - timedelta(hours=1)
        recent = session.scalar(
            select(func.count()).select_from(sent.where(Delivery.started_at > hour_ago).subquery())
        )
        if recent is not None and recent >= channel.max_per_hour:
            oldest = session.scalar(
                sent.where(Delivery.started_at > hour_ago).order_by(Delivery.started_at).limit(1)
            )
            if oldest is not None:
                wait = max(wait, (oldest + timedelta(hours=1) - now).total_seconds())
    return max(0.0, wait)
