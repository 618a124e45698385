"""How uvicorn runs the app: the same for `syndicate serve` and for the suite's web servers."""

from __future__ import annotations

from typing import Any

from syndicate.web.httpguard import GuardedHttpProtocol


def uvicorn_options() -> dict[str, Any]:
    return {
        "http": GuardedHttpProtocol,
        "proxy_headers": True,  # believed from FORWARDED_ALLOW_IPS only (loopback by default)
        "server_header": False,  # what software answers is nobody's business
        "access_log": False,  # the app logs what it does; a line per feed request is noise
    }
