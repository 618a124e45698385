"""Routing rules an admin set in the review app, which replace the site file's for their
channel; and the configuration as it stands with them, read from the database each time so
every process sees a change at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate import audit
from syndicate.config import ChannelConfig, ChannelRules, SyndicateConfig
from syndicate.models import StoredRules


def stored(session: Session) -> dict[str, StoredRules]:
    return {row.channel: row for row in session.scalars(select(StoredRules))}


def effective(session: Session, config: SyndicateConfig) -> SyndicateConfig:
    """`config` with every channel's stored rules in place of the file's."""
    rows = stored(session)
    if not rows:
        return config
    channels = [
        c.model_copy(update={"rules": ChannelRules.model_validate(rows[c.name].rules)})
        if c.name in rows
        else c
        for c in config.channels
    ]
    return config.model_copy(update={"channels": channels})


def rules_of(session: Session, channel: ChannelConfig) -> ChannelRules:
    """The channel's rules as they stand: stored ones, or else the site file's."""
    row = session.get(StoredRules, channel.name)
    return ChannelRules.model_validate(row.rules) if row is not None else channel.rules


def save(session: Session, channel: str, rules: ChannelRules, actor: str, now: datetime) -> None:
    row = session.get(StoredRules, channel, with_for_update=True)
    data = rules.model_dump(mode="json")
    if row is None:
        session.add(StoredRules(channel=channel, rules=data, updated_by=actor, updated_at=now))
    else:
        row.rules, row.updated_by, row.updated_at = data, actor, now
    audit.record(session, actor, "set_rules", now, channel=channel, rules=data)


def reset(session: Session, channel: str, actor: str, now: datetime) -> bool:
    """Go back to the site file's rules for the channel; False if none were stored."""
    row = session.get(StoredRules, channel, with_for_update=True)
    if row is None:
        return False
    session.delete(row)
    audit.record(session, actor, "reset_rules", now, channel=channel)
    return True
