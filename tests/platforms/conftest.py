"""Builders for composition tests: an article and a channel, no database needed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from syndicate.compose import Composed, compose
from syndicate.config import ChannelConfig
from syndicate.models import Article
from syndicate.platforms import get_platform
from syndicate.platforms.base import Platform

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
URL = "https://news.example.com/2026/11/river-crossing"


def make_article(**fields: Any) -> Article:
    values: dict[str, Any] = {
        "id": "a-1",
        "status": "published",
        "revision": 1,
        "version": 1,
        "url": URL,
        "title": "Council approves the new river crossing",
        "summary": "After three years of debate the council voted 7 to 2.",
        "authors": [
            {
                "name": "Ada Reporter",
                "handles": {
                    "mastodon": "@ada@news.example.com",
                    "x": "@ada",
                    "bluesky": "ada.bsky.social",
                },
            }
        ],
        "tags": ["Local Politics"],
        "section": "City",
        "image_url": None,
        "image_alt": "",
        "language": "en",
        "published_at": datetime(2026, 11, 24, tzinfo=UTC),
    }
    values.update(fields)
    return Article(**values)


def channel(platform: str, **fields: Any) -> ChannelConfig:
    """A channel with no platform address unless the test gives one: nothing leaves loopback."""
    return ChannelConfig(**{"name": f"{platform}-test", "platform": platform, "url": "", **fields})


def adapter_for(ch: ChannelConfig) -> Platform:
    return get_platform(ch.platform)(ch, requests.Session())


def compose_for(
    platform: str, article: Article | None = None, **channel_fields: Any
) -> tuple[Composed, Platform]:
    ch = channel(platform, **channel_fields)
    adapter = adapter_for(ch)
    return compose(article or make_article(), ch, adapter, TEMPLATES), adapter


@pytest.fixture
def article() -> Article:
    return make_article()
