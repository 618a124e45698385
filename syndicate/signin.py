"""Signed-in sessions and API tokens. Both are random secrets of which only a hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from syndicate.models import ApiToken, User, UserSession

TOKEN_PREFIX = "syn_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime, lifetime: timedelta) -> str:
    """A new session for `user`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.execute(delete(UserSession).where(UserSession.expires_at < now))
    return token


def find_session(session: Session, token: str, now: datetime) -> UserSession | None:
    """The live session for a cookie token: not expired, its user not disabled."""
    found = session.get(UserSession, token_hash(token))
    if found is None or found.expires_at <= now or found.user.disabled:
        return None
    return found


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(token)))


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token), created_at=now)
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, token_id: int, now: datetime) -> ApiToken | None:
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    return row


def token_user(session: Session, token: str) -> User | None:
    """The user a bearer token acts for, unless it was revoked or the user disabled."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token))
    ).one_or_none()
    if row is None or row.revoked_at is not None or row.user.disabled:
        return None
    return row.user
