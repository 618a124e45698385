"""Channels added by admins (review app, API, command line) beside the site file's: stored in
the `channels` table with their credentials sealed, checked as the file's are, audited, and
seen by every process within a second or two of a change, without a restart.

The site file's channels stay in the file and can only be changed there; a stored channel may
not take the name of one."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from syndicate import audit
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import ChannelHealth, ChannelToken, StoredChannel

log = logging.getLogger(__name__)
# The credentials a channel may hold, by the name the API and the command line use.
CREDENTIALS = ("secret", "refresh_token", "client_secret")
# Options that name environment variables: a stored channel keeps its credentials itself.
ENVIRONMENT_OPTIONS = ("secret_env", "refresh_token_env", "client_secret_env")


class ChannelProblem(ValueError):
    """A channel that cannot be stored as asked; `status` is the HTTP answer it means."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def stored_channels(session: Session) -> list[ChannelConfig]:
    rows = session.scalars(select(StoredChannel).order_by(StoredChannel.name))
    return [_channel(row) for row in rows]


def _channel(row: StoredChannel) -> ChannelConfig:
    credentials = json.loads(row.credentials) if row.credentials else {}
    return ChannelConfig.from_app(
        {"name": row.name, "platform": row.platform, **row.options}, credentials
    )


def with_stored(file_config: SyndicateConfig, stored: list[ChannelConfig]) -> SyndicateConfig:
    if not stored:
        return file_config
    return file_config.model_copy(update={"channels": [*file_config.channels, *stored]})


def add(
    session: Session,
    file_config: SyndicateConfig,
    fields: dict[str, Any],
    credentials: dict[str, str],
    actor: str,
    now: datetime,
) -> ChannelConfig:
    """Store a new channel after checking it as the site file's channels are checked."""
    name = str(fields.get("name", ""))
    if file_config.channel(name) is not None:
        raise ChannelProblem(f"channel {name!r} is in the site file; change it there", 409)
    if session.get(StoredChannel, name) is not None:
        raise ChannelProblem(f"channel {name!r} already exists", 409)
    channel = _checked(session, file_config, fields, credentials)
    options = _options(fields)
    session.add(
        StoredChannel(
            name=channel.name,
            platform=channel.platform,
            options=options,
            credentials=json.dumps(_present(credentials)),
            created_by=actor,
            created_at=now,
            updated_by=actor,
            updated_at=now,
        )
    )
    audit.record(session, actor, "add_channel", now, channel=channel.name, options=options)
    return channel


def edit(
    session: Session,
    file_config: SyndicateConfig,
    name: str,
    changes: dict[str, Any],
    credentials: dict[str, str],
    actor: str,
    now: datetime,
) -> ChannelConfig:
    """Change a stored channel's options (those given) and credentials (those given; an empty
    one is removed)."""
    row = _stored_row(session, file_config, name)
    if "name" in changes and changes["name"] != name:
        raise ChannelProblem("a channel's name cannot change; add a new channel instead")
    if "platform" in changes and changes["platform"] != row.platform:
        raise ChannelProblem("a channel's platform cannot change; add a new channel instead")
    fields = {**row.options, **_options(changes), "name": name, "platform": row.platform}
    kept = json.loads(row.credentials) if row.credentials else {}
    merged = _present({**kept, **credentials})
    channel = _checked(session, file_config, fields, merged, replacing=name)
    row.options, row.credentials = _options(fields), json.dumps(merged)
    row.updated_by, row.updated_at = actor, now
    audit.record(
        session,
        actor,
        "edit_channel",
        now,
        channel=name,
        options=_options(changes),
        credentials=sorted(credentials),
    )
    return channel


def remove(
    session: Session, file_config: SyndicateConfig, name: str, actor: str, now: datetime
) -> None:
    row = _stored_row(session, file_config, name)
    session.delete(row)
    # Its tokens and its check go with it: nothing of a removed account's access stays.
    session.execute(delete(ChannelToken).where(ChannelToken.channel == name))
    session.execute(delete(ChannelHealth).where(ChannelHealth.channel == name))
    audit.record(session, actor, "remove_channel", now, channel=name)


def _stored_row(session: Session, file_config: SyndicateConfig, name: str) -> StoredChannel:
    if file_config.channel(name) is not None:
        raise ChannelProblem(f"channel {name!r} is in the site file; change it there", 409)
    row = session.get(StoredChannel, name, with_for_update=True)
    if row is None:
        raise ChannelProblem(f"no channel {name!r}", 404)
    return row


def _checked(
    session: Session,
    file_config: SyndicateConfig,
    fields: dict[str, Any],
    credentials: dict[str, str],
    replacing: str | None = None,
) -> ChannelConfig:
    """The channel as the configuration would hold it, or a ChannelProblem naming the field."""
    unknown = sorted(set(credentials) - set(CREDENTIALS))
    if unknown:
        raise ChannelProblem(f"unknown credential {unknown[0]!r}; known: {', '.join(CREDENTIALS)}")
    named = sorted(set(fields) & set(ENVIRONMENT_OPTIONS))
    if named:
        raise ChannelProblem(
            f"{named[0]}: a channel added here keeps its credentials itself; "
            "send them as secret, refresh_token and client_secret"
        )
    try:
        channel = ChannelConfig.from_app(fields, credentials)
        others = [c for c in stored_channels(session) if c.name != replacing]
        SyndicateConfig.model_validate(
            {**file_config.model_dump(), "channels": [*file_config.channels, *others, channel]}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        parts = [
            str(part) for part in first["loc"] if part != "channels" and not isinstance(part, int)
        ]
        where = ".".join(parts) or "channel"
        raise ChannelProblem(f"{where}: {first['msg']}") from None
    return channel


def _options(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in ("name", "platform")}


def _present(credentials: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in credentials.items() if v}


def version(session: Session) -> tuple[int, datetime | None]:
    """What changes whenever a stored channel is added, edited or removed."""
    count, newest = session.execute(select(func.count(), func.max(StoredChannel.updated_at))).one()
    return int(count), newest


@dataclass
class ChannelDirectory:
    """A process's copy of the stored channels, looked at again at most every
    `fresh_seconds` (SYNDICATE_CHANNEL_REFRESH_SECONDS): a change reaches every web and worker
    process within about that long."""

    fresh_seconds: float = 1.0
    _seen: tuple[int, datetime | None] | None = None
    _stored: list[ChannelConfig] = field(default_factory=list)
    _checked_at: float = float("-inf")
    _merged: SyndicateConfig | None = None
    _merged_from: SyndicateConfig | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def config(
        self, file_config: SyndicateConfig, factory: sessionmaker[Session]
    ) -> SyndicateConfig:
        with self._lock:
            if time.monotonic() - self._checked_at >= self.fresh_seconds:
                try:
                    with factory() as session:
                        seen = version(session)
                        if seen != self._seen or self._merged is None:
                            self._stored, self._seen = stored_channels(session), seen
                            self._merged = with_stored(file_config, self._stored)
                            self._merged_from = file_config
                    self._checked_at = time.monotonic()
                except SQLAlchemyError as exc:
                    # No database to read (down, or not made yet): the channels last read, or
                    # the file's; the next use looks again.
                    log.warning("could not read the stored channels: %s", type(exc).__name__)
                    return self._merged or file_config
            assert self._merged is not None
            if self._merged_from is not file_config:  # a runtime with a file of its own
                self._merged = with_stored(file_config, self._stored)
                self._merged_from = file_config
            return self._merged

    def forget(self) -> None:
        """Look at the stored channels again on the next use (after this process changed
        them)."""
        with self._lock:
            self._checked_at = float("-inf")
