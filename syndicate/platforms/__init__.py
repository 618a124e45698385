"""The registry of platform adapters: one line per platform."""

from __future__ import annotations

from syndicate.platforms.base import Platform
from syndicate.platforms.webhook import Webhook

PLATFORMS: dict[str, type[Platform]] = {
    "webhook": Webhook,
}


def get_platform(name: str) -> type[Platform]:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise KeyError(f"unknown platform {name!r}") from None
