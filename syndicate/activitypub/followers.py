"""The actors' followers as admins see them: how many each actor has, the servers no longer
delivered to (their followers kept), the follow requests held for an admin
(`approve_followers = true`), and the answer to one (an `Accept`, or a `Reject` that forgets
it), sent on the delivery ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.activitypub import deliveries
from syndicate.activitypub.actors import AS_CONTEXT, Addresses
from syndicate.activitypub.hosts import host_of
from syndicate.models import ApFollower, ApHost


def follower_values(
    actor: str,
    follower: str,
    inbox: str,
    shared_inbox: str,
    status: str,
    now: datetime,
    follow_id: str = "",
) -> dict[str, Any]:
    """An ap_followers row: the follower's server named from its address."""
    return {
        "actor": actor,
        "follower": follower,
        "server": host_of(follower),
        "inbox": inbox,
        "shared_inbox": shared_inbox,
        "follow_id": follow_id,
        "status": status,
        "created_at": now,
    }


def counts(session: Session) -> dict[str, int]:
    """Accepted followers, by actor."""
    rows = session.execute(
        select(ApFollower.actor, func.count())
        .where(ApFollower.status == "accepted")
        .group_by(ApFollower.actor)
    ).all()
    return {actor: int(n) for actor, n in rows}


@dataclass(frozen=True)
class DroppedServer:
    host: str
    failing_since: datetime | None
    followers: int  # kept, and delivered to again once the server is heard from


def dropped(session: Session, limit: int = 200) -> list[DroppedServer]:
    """Servers that failed for a week and are skipped, with how many followers wait there."""
    hosts = session.execute(
        select(ApHost.host, ApHost.failing_since)
        .where(ApHost.dropped.is_(True))
        .order_by(ApHost.failing_since)
        .limit(limit)
    ).all()
    rows = session.execute(
        select(ApFollower.server, func.count())
        .where(ApFollower.status == "accepted", ApFollower.server.in_([h for h, _ in hosts]))
        .group_by(ApFollower.server)
    )
    waiting = {server: int(n) for server, n in rows}
    return [DroppedServer(host, since, waiting.get(host, 0)) for host, since in hosts]


def pending(session: Session, limit: int = 200) -> list[ApFollower]:
    return list(
        session.scalars(
            select(ApFollower)
            .where(ApFollower.status == "pending")
            .order_by(ApFollower.created_at)
            .limit(limit)
        )
    )


def answer(
    session: Session, where: Addresses, follower_id: int, accept: bool, now: datetime
) -> int | None:
    """Accept or reject a held follow request; the delivery of the answer (None when there
    is no such request)."""
    row = session.get(ApFollower, follower_id, with_for_update=True)
    if row is None or row.status != "pending":
        return None
    activity = _answer_of(where, row, "Accept" if accept else "Reject")
    if accept:
        row.status = "accepted"
    else:
        session.delete(row)
    return deliveries.enqueue(session, row.actor, row.inbox, activity, now)


def _answer_of(where: Addresses, row: ApFollower, kind: str) -> dict[str, Any]:
    me = where.actor(row.actor)
    follow = {"type": "Follow", "actor": row.follower, "object": me}
    if row.follow_id:
        follow["id"] = row.follow_id
    return {
        "@context": AS_CONTEXT,
        "id": f"{me}#{kind.lower()}s/{uuid.uuid4()}",
        "type": kind,
        "actor": me,
        "object": follow,
        "to": [row.follower],
    }
