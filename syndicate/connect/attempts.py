"""Connection attempts between the consent page and the way back, and the app's own
registrations on servers that register apps (Mastodon)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from syndicate.models import ConnectAttempt, OAuthClient
from syndicate.platforms.options import Grant

# How long an admin has on the platform's consent page before the attempt is void.
ATTEMPT_MINUTES = 15
# Open attempts one admin may have at once: a bound on what a stuck browser can pile up.
OPEN_ATTEMPTS = 20


class ConnectProblem(ValueError):
    """A connection that did not work, in words an admin can act on."""


@dataclass(frozen=True)
class Connected:
    """A channel ready to be stored: its options, its credentials, and whose they are."""

    fields: dict[str, object]
    credentials: dict[str, str]
    account: str
    # OAuth tokens the database keeps for the channel (with `oauth_tokens` set).
    tokens: Grant | None = None


@dataclass(frozen=True)
class Attempt:
    platform: str
    channel: str
    server: str
    code_verifier: str
    created_by: str


def _hashed(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def begin(
    session: Session,
    platform: str,
    channel: str,
    server: str,
    code_verifier: str,
    actor: str,
    now: datetime,
) -> str:
    """Record an attempt; its `state`, which only the admin's browser carries."""
    session.execute(
        delete(ConnectAttempt).where(
            ConnectAttempt.created_at < now - timedelta(minutes=ATTEMPT_MINUTES)
        )
    )
    open_ones = session.scalar(select(func.count()).where(ConnectAttempt.created_by == actor))
    if (open_ones or 0) >= OPEN_ATTEMPTS:
        raise ConnectProblem(
            f"{OPEN_ATTEMPTS} connections are already waiting for their platforms; finish "
            f"them or wait {ATTEMPT_MINUTES} minutes"
        )
    state = secrets.token_urlsafe(32)
    session.add(
        ConnectAttempt(
            state_hash=_hashed(state),
            platform=platform,
            channel=channel,
            server=server,
            code_verifier=code_verifier,
            created_by=actor,
            created_at=now,
        )
    )
    return state


def claim(session: Session, state: str, actor: str, now: datetime) -> Attempt:
    """The attempt the state names, used up; ConnectProblem if there is none (tampered,
    already used, expired, or another admin's)."""
    row = session.get(ConnectAttempt, _hashed(state), with_for_update=True)
    if row is None or row.created_by != actor:
        raise ConnectProblem(
            "this connection is unknown or was already used (the address may have been "
            "changed); start again from Connect"
        )
    session.delete(row)
    if row.created_at < now - timedelta(minutes=ATTEMPT_MINUTES):
        raise ConnectProblem(
            f"this connection waited more than {ATTEMPT_MINUTES} minutes; start again"
        )
    return Attempt(row.platform, row.channel, row.server, row.code_verifier, row.created_by)


def registered_client(session: Session, server: str, redirect_uri: str) -> OAuthClient | None:
    return session.get(OAuthClient, (server, redirect_uri))


def keep_client(
    session: Session,
    server: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
    now: datetime,
) -> None:
    session.merge(
        OAuthClient(
            server=server,
            redirect_uri=redirect_uri,
            client_id=client_id,
            client_secret=client_secret,
            created_at=now,
        )
    )
