"""The one place outbound HTTP is configured: session, timeouts, User-Agent."""

from __future__ import annotations

import requests

from syndicate import __version__

USER_AGENT = f"Syndicate/{__version__} (+https://github.com/syndicate-news/syndicate)"
# (connect, read) seconds: a platform that hangs must not hold a worker for long.
# The read timeout can be set per channel.
TIMEOUT = (5.0, 20.0)


def make_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    # Never pick up proxies from the environment: posts go straight to the configured URL.
    session.trust_env = False
    return session
