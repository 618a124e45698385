"""The one place outbound HTTP is configured: every session the service makes comes from
`make_session`, with Syndicate's User-Agent, a timeout on every request that names none, and
no proxy taken from the environment."""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from syndicate import __version__

USER_AGENT = f"Syndicate/{__version__} (+https://github.com/syndicate-news/syndicate)"
# (connect, read) seconds: a platform that hangs must not hold a worker for long.
# The read timeout can be set per channel.
TIMEOUT = (5.0, 20.0)


class TimedSession(requests.Session):
    """A session whose requests always have a timeout: TIMEOUT unless the call names one."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def make_session() -> requests.Session:
    session = TimedSession()
    session.headers["User-Agent"] = USER_AGENT
    # Never pick up proxies from the environment: posts go straight to the configured URL.
    session.trust_env = False
    return session


def make_oauth_session(**client: Any) -> OAuth2Session:
    """An OAuth 2.0 client (Authlib) configured as every other outbound session is."""
    session = OAuth2Session(default_timeout=TIMEOUT, **client)
    session.headers["User-Agent"] = USER_AGENT
    session.trust_env = False
    return session
