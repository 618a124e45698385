"""People who use the review app: accounts with argon2 password hashes and a role."""

from __future__ import annotations

import re
import zoneinfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.models import Role, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


class UserError(Exception):
    """A user could not be created or changed; the message says why."""


def _check(username: str, password: str | None, role: str, timezone: str) -> None:
    if not USERNAME.match(username):
        raise UserError("a username is lower-case letters, digits, '.', '_' or '-' (at most 64)")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if role not in set(Role):
        raise UserError(f"unknown role {role!r}; roles: {', '.join(Role)}")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"unknown time zone {timezone!r}; use an IANA name such as Europe/Paris"
        ) from None


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.lower())).one_or_none()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str = Role.VIEWER,
    name: str = "",
    timezone: str = "UTC",
) -> User:
    username = username.strip().lower()
    _check(username, password, role, timezone)
    if find_user(session, username) is not None:
        raise UserError(f"there is already a user {username!r}")
    user = User(
        username=username,
        name=name or username,
        password_hash=_hasher.hash(password),
        role=role,
        timezone=timezone,
    )
    session.add(user)
    session.flush()
    return user


def admin_exists(session: Session) -> bool:
    """Whether anyone can administer the installation yet (until then, /setup is open)."""
    found = select(User.id).where(User.role == Role.ADMIN, User.disabled.is_(False)).limit(1)
    return session.scalar(found) is not None


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user, when the password is theirs and the account is enabled."""
    user = find_user(session, username.strip())
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def set_role(session: Session, username: str, role: str) -> User:
    user = _existing(session, username)
    _check(user.username, None, role, user.timezone)
    user.role = role
    return user


def set_timezone(session: Session, username: str, timezone: str) -> User:
    user = _existing(session, username)
    _check(user.username, None, user.role, timezone)
    user.timezone = timezone
    return user


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    user = _existing(session, username)
    user.disabled = disabled
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _existing(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise UserError(f"no user {username!r}")
    return user
