"""`syndicate channels check`: one harmless call per channel to see whose credentials work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

from syndicate.adapters import adapter
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.http import make_session
from syndicate.platforms.base import DeliveryError, NotCheckable
from syndicate.tokens import TokenVault


@dataclass(frozen=True)
class ChannelCheck:
    channel: str
    verdict: str  # ok, attention, unchecked or disabled
    detail: str
    # The platform refused the credentials (401/403): the channel needs new ones.
    refused: bool = False


def check_channels(
    config: SyndicateConfig,
    vault: TokenVault | None = None,
    http: Callable[[], requests.Session] = make_session,
) -> list[ChannelCheck]:
    return [check_channel(channel, vault, http) for channel in config.channels]


def check_channel(
    channel: ChannelConfig,
    vault: TokenVault | None = None,
    http: Callable[[], requests.Session] = make_session,
) -> ChannelCheck:
    if not channel.enabled:
        return ChannelCheck(channel.name, "disabled", "not in use")
    try:
        who = adapter(channel, http(), vault).check()
    except NotCheckable as exc:
        return ChannelCheck(channel.name, "unchecked", str(exc))
    except DeliveryError as exc:
        if exc.credentials:
            return ChannelCheck(
                channel.name, "attention", f"credentials refused: {exc.message}", refused=True
            )
        return ChannelCheck(channel.name, "attention", exc.message)
    except (KeyError, ValueError, TypeError) as exc:
        return ChannelCheck(
            channel.name, "attention", f"unexpected answer from the platform: {exc}"
        )
    return ChannelCheck(channel.name, "ok", f"signed in as {who}")
