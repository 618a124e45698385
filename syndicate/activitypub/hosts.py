"""Which server an actor's or an inbox's address is on: its host (and port), as rows name it."""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(address: str) -> str:
    return urlsplit(address).netloc.lower()[:300]
