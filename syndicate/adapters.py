"""A channel's platform adapter, with its HTTP session, the vault for rotating tokens and,
for the fediverse channel, the outbox."""

from __future__ import annotations

import requests

from syndicate.config import ChannelConfig
from syndicate.http import make_session
from syndicate.platforms import get_platform
from syndicate.platforms.activitypub import ActivityPub, Outbox
from syndicate.platforms.base import Platform
from syndicate.tokens import TokenVault


def adapter(
    channel: ChannelConfig,
    session: requests.Session | None = None,
    vault: TokenVault | None = None,
    outbox: Outbox | None = None,
) -> Platform:
    platform = get_platform(channel.platform)(channel, session or make_session(), vault)
    if isinstance(platform, ActivityPub):
        platform.outbox = outbox
    return platform
