"""The registry of platform adapters: one line per platform."""

from __future__ import annotations

from syndicate.platforms.activitypub import ActivityPub
from syndicate.platforms.base import Platform
from syndicate.platforms.bluesky import Bluesky
from syndicate.platforms.discord import Discord
from syndicate.platforms.facebook import Facebook
from syndicate.platforms.linkedin import LinkedIn
from syndicate.platforms.mastodon import Mastodon
from syndicate.platforms.slack import Slack
from syndicate.platforms.telegram import Telegram
from syndicate.platforms.threads import Threads
from syndicate.platforms.webhook import Webhook
from syndicate.platforms.x import X

PLATFORMS: dict[str, type[Platform]] = {
    "activitypub": ActivityPub,
    "bluesky": Bluesky,
    "discord": Discord,
    "facebook": Facebook,
    "linkedin": LinkedIn,
    "mastodon": Mastodon,
    "slack": Slack,
    "telegram": Telegram,
    "threads": Threads,
    "webhook": Webhook,
    "x": X,
}


def get_platform(name: str) -> type[Platform]:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise KeyError(f"unknown platform {name!r}") from None
