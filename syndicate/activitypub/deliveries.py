"""Activities on their way to other servers' inboxes, on a ledger like posts: a row written in
the transaction that decides the activity, claimed by one worker, signed and POSTed through the
fetch guard, and settled; retried with backoff (the server's own Retry-After first) until it
is delivered or plainly refused; found again by the sweep when a worker died between."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from syndicate.activitypub.actors import ACTIVITY_JSON, Addresses, key_pair
from syndicate.activitypub.hosts import host_of
from syndicate.activitypub.signatures import sign
from syndicate.db import insert_ignoring_conflicts
from syndicate.fetch import FetchRefused, GuardedFetcher
from syndicate.models import ApDelivery, ApHost
from syndicate.platforms.base import retry_after_seconds

MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
LEASE = timedelta(minutes=5)
# A server failing this long is no longer delivered to.
DROP_AFTER = timedelta(days=7)
# The least time between two requests to one server.
HOST_GAP = timedelta(milliseconds=100)
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, retry, failed, skipped
    retry_in: float | None = None


def enqueue(
    session: Session,
    actor: str,
    inbox: str,
    activity: dict[str, Any],
    now: datetime,
    article_id: str | None = None,
) -> int:
    row = ApDelivery(
        actor=actor,
        inbox=inbox,
        activity=activity,
        article_id=article_id,
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def attempt(
    factory: sessionmaker[Session],
    delivery_id: int,
    where: Addresses,
    fetcher: GuardedFetcher,
    now: Callable[[], datetime],
) -> Outcome:
    """Deliver the activity if it is waiting and due; safe to call twice."""
    started = now()
    with factory.begin() as session:
        row = session.get(ApDelivery, delivery_id, with_for_update=True)
        if row is None or row.status != "pending":
            return Outcome("skipped")
        if row.next_attempt_at is not None and row.next_attempt_at > started:
            return Outcome("skipped")
        host = _host(session, row.inbox)
        if host.dropped:
            row.status, row.finished_at = "failed", started
            row.error = "the server has not answered for 7 days; its followers wait until it does"
            return Outcome("failed")
        if not row.paced and host.next_allowed_at is not None and host.next_allowed_at > started:
            # Paced: one request to a server every HOST_GAP. Each waiting activity reserves
            # the next free turn, so a burst to one server goes out in order, each once.
            row.next_attempt_at, row.paced = host.next_allowed_at, True
            host.next_allowed_at += HOST_GAP
            return Outcome("retry", (row.next_attempt_at - started).total_seconds())
        if not row.paced:
            host.next_allowed_at = started + HOST_GAP
        row.status, row.claimed_at, row.attempts = "sending", started, row.attempts + 1
        row.paced = False
        keys = key_pair(session, row.actor)
        inbox, actor, activity, attempts = row.inbox, row.actor, row.activity, row.attempts
        private_key = keys.private_key
    body = json.dumps(activity).encode()
    headers = {
        "Content-Type": ACTIVITY_JSON,
        "Accept": ACTIVITY_JSON,
        **sign("POST", inbox, body, where.key(actor), private_key),
    }
    status_code, wait, error, asked_wait = None, None, "", None
    try:
        answer = fetcher.post(inbox, headers, body, MAX_ANSWER_BYTES)
        status_code, asked_wait = answer.status, answer.headers.get("retry-after")
    except FetchRefused as exc:
        error = str(exc)
    with factory.begin() as session:
        row = session.get_one(ApDelivery, delivery_id, with_for_update=True)
        row.status_code, finished = status_code, now()
        host = _host(session, inbox)
        if status_code is not None and 200 <= status_code < 300:
            row.status, row.error, row.finished_at = "sent", "", finished
            host.failing_since, host.last_success = None, finished
            return Outcome("sent")
        if status_code is None or status_code >= 500:  # the server itself is failing
            host.failing_since = host.failing_since or finished
            if host.failing_since < finished - DROP_AFTER:
                host.dropped = True
        permanent = (
            status_code is not None
            and 400 <= status_code < 500
            and status_code
            not in (
                408,
                429,
            )
        )
        row.error = error or f"HTTP {status_code}"
        if permanent or attempts >= MAX_ATTEMPTS:
            row.status, row.finished_at = "failed", finished
            return Outcome("failed")
        if status_code in (429, 503):
            wait = retry_after_seconds(asked_wait)
        wait = wait if wait is not None else _backoff(attempts)
        row.status, row.next_attempt_at = "pending", finished + timedelta(seconds=wait)
        return Outcome("retry", retry_in=wait)


def _backoff(attempts: int) -> float:
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempts))


def due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Deliveries whose time has come, and those a dead worker left `sending`."""
    stuck = session.scalars(
        select(ApDelivery).where(
            ApDelivery.status == "sending", ApDelivery.claimed_at < now - LEASE
        )
    ).all()
    for row in stuck:
        row.status, row.next_attempt_at, row.paced = "pending", now, False
    return list(
        session.scalars(
            select(ApDelivery.id)
            .where(
                ApDelivery.status == "pending",
                or_(ApDelivery.next_attempt_at.is_(None), ApDelivery.next_attempt_at <= now),
            )
            .order_by(ApDelivery.id)
            .limit(limit)
        )
    )


def _host(session: Session, inbox: str) -> ApHost:
    name = host_of(inbox)
    insert_ignoring_conflicts(session, ApHost, [{"host": name, "dropped": False}])
    return session.get_one(ApHost, name, with_for_update=True)


def heard_from(session: Session, actor_id: str) -> None:
    """A server that sends us a signed activity is up: deliver to it again."""
    session.execute(
        update(ApHost)
        .where(ApHost.host == host_of(actor_id), ApHost.dropped.is_(True))
        .values(dropped=False, failing_since=None)
    )
