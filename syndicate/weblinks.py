"""Links that come from elsewhere (a platform's answer, say) and end up in an href."""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def live_link(url: str | None) -> str | None:
    """`url` if it is safe to link to: https, or http on a loopback host (a test server);
    otherwise None (javascript:, data:, a relative path, a plain http site)."""
    if not url or any(c.isspace() or ord(c) < 0x20 for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return url
    return None
