"""The platforms connected through OAuth 2.0 on the newsroom's own app, by name; adding one
touches its module and this table."""

from __future__ import annotations

from types import ModuleType

from syndicate.connect import facebook, linkedin, threads, x
from syndicate.connect.oauth import App, Provider

OAUTH: dict[str, ModuleType] = {
    "x": x,
    "linkedin": linkedin,
    "threads": threads,
    "facebook": facebook,
}
LABELS = {"x": "X", "linkedin": "LinkedIn", "threads": "Threads", "facebook": "a Facebook Page"}


def provider(platform: str, servers: dict[str, str]) -> Provider:
    found: Provider = OAUTH[platform].PROVIDER
    return found.at(servers.get(platform))


def app(client: tuple[str, str] | None) -> App | None:
    return App(*client) if client else None
