"""A checked connection stored as a channel: its options and sealed credentials, and the OAuth
tokens the database keeps for it, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from syndicate import channelstore
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.connect.attempts import Connected
from syndicate.models import ChannelToken


def store(
    factory: sessionmaker[Session],
    file_config: SyndicateConfig,
    connected: Connected,
    actor: str,
    now: datetime,
) -> ChannelConfig:
    with factory.begin() as session:
        channel = channelstore.add(
            session, file_config, dict(connected.fields), connected.credentials, actor, now
        )
        if connected.tokens is not None:
            session.merge(
                ChannelToken(
                    channel=channel.name,
                    access_token=connected.tokens.access_token,
                    refresh_token=connected.tokens.refresh_token,
                    expires_at=connected.tokens.expires_at,
                    refreshed_at=now,
                )
            )
    return channel
