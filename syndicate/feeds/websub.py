"""WebSub publish pings: tell each hub a feed changed, so it can push it to subscribers."""

from __future__ import annotations

import requests

from syndicate.http import TIMEOUT


class PingFailed(Exception):
    """The hub did not accept the ping; worth trying again later."""


def publish(session: requests.Session, hub: str, topic: str) -> None:
    # The spec leaves the publish request open: most hubs read hub.url, some (Switchboard,
    # Flask-WebSub) read hub.topic, so both carry the feed URL.
    data = {"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}
    try:
        response = session.post(hub, data=data, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise PingFailed(f"hub unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 300:
        raise PingFailed(f"hub answered HTTP {response.status_code}")
