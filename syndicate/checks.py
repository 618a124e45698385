"""`syndicate channels check`: one harmless call per channel to see whose credentials work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

from syndicate.adapters import adapter
from syndicate.config import SyndicateConfig
from syndicate.http import make_session
from syndicate.platforms.base import DeliveryError, NotCheckable
from syndicate.tokens import TokenVault


@dataclass(frozen=True)
class ChannelCheck:
    channel: str
    verdict: str  # ok, attention, unchecked or disabled
    detail: str


def check_channels(
    config: SyndicateConfig,
    vault: TokenVault | None = None,
    http: Callable[[], requests.Session] = make_session,
) -> list[ChannelCheck]:
    found = []
    for channel in config.channels:
        if not channel.enabled:
            found.append(ChannelCheck(channel.name, "disabled", "not in use"))
            continue
        try:
            who = adapter(channel, http(), vault).check()
        except NotCheckable as exc:
            found.append(ChannelCheck(channel.name, "unchecked", str(exc)))
        except DeliveryError as exc:
            reason = "credentials refused: " if exc.credentials else ""
            found.append(ChannelCheck(channel.name, "attention", reason + exc.message))
        except (KeyError, ValueError, TypeError) as exc:
            found.append(
                ChannelCheck(
                    channel.name, "attention", f"unexpected answer from the platform: {exc}"
                )
            )
        else:
            found.append(ChannelCheck(channel.name, "ok", f"signed in as {who}"))
    return found
