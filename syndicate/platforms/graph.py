"""What Meta's Graph APIs (Facebook Pages, Threads) answer when they refuse a call: an error
object with a code, and usage headers that say how long until the app may call again.

https://developers.facebook.com/docs/graph-api/overview/rate-limiting and
https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

from __future__ import annotations

import json

import requests

from syndicate.platforms.base import DeliveryError, retry_after_seconds

# Throttling: 4 (app), 17 (account), 32 (Page), 613 (custom rate limit).
THROTTLED = (4, 17, 32, 613)
# The token is invalid, expired or lacks the permission.
CREDENTIALS = (10, 102, 190, 200)
# When the platform throttles without saying for how long.
DEFAULT_THROTTLE_WAIT = 600.0
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage")


def usage_wait(response: requests.Response) -> float | None:
    """Seconds until access is regained, from `estimated_time_to_regain_access` (minutes) in
    the Business Use Case usage header, or from Retry-After."""
    minutes: list[float] = []
    for name in USAGE_HEADERS:
        raw = response.headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries = [e for v in usage.values() for e in v] if name == USAGE_HEADERS[0] else [usage]
        for entry in entries:
            if isinstance(entry, dict):
                value = entry.get("estimated_time_to_regain_access")
                if isinstance(value, int | float) and value > 0:
                    minutes.append(float(value))
    if minutes:
        return max(minutes) * 60.0
    return retry_after_seconds(response.headers.get("Retry-After"))


def raise_for_graph_error(response: requests.Response, platform: str) -> bool:
    """Raise the `DeliveryError` a Graph API error answer means. Returns False (raising
    nothing) when the answer carries no Graph error object, so the caller can fall back."""
    try:
        error = response.json()["error"]
        code = error.get("code")
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    message = f"{platform}: {error.get('message', response.reason)}"
    status = response.status_code
    if code in THROTTLED or status == 429 or status >= 500:
        wait = usage_wait(response)
        if wait is None and (code in THROTTLED or status == 429):
            wait = DEFAULT_THROTTLE_WAIT
        raise DeliveryError(message, status_code=status, retry_after=wait)
    raise DeliveryError(
        message,
        permanent=True,
        status_code=status,
        credentials=code in CREDENTIALS or status == 401,
    )
