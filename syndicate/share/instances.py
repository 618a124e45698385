"""Reading a Mastodon server name as readers type it: `mastodon.social`,
`https://mastodon.social/`, `@me@mastodon.social`."""

from __future__ import annotations

import re

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.(?=[a-z0-9-]*[a-z])({_LABEL})$")


def instance_host(typed: str) -> str | None:
    """The server's host name in ASCII (IDNA), or None when `typed` does not look like one."""
    value = typed.strip().lower()
    value = re.sub(r"^https?://", "", value).split("/", 1)[0]
    value = value.rsplit("@", 1)[-1].rstrip(".")
    if not value or ":" in value or len(value) > 253:
        return None
    try:
        ascii_host = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_host if _HOST.match(ascii_host) else None
