"""Short-lived tokens for forms anyone may fill in (no sign-in, no cookie): proof that a POST
came from a form this service handed out within the last hour or two, and for what."""

from __future__ import annotations

import hashlib
import hmac
import time

WINDOW_SECONDS = 3600


def issue(key: bytes, purpose: str, now: float | None = None) -> str:
    window = int((time.time() if now is None else now) // WINDOW_SECONDS)
    return f"{window}.{_mac(key, purpose, window)}"


def valid(key: bytes, purpose: str, token: str, now: float | None = None) -> bool:
    """Whether `token` was issued for `purpose` in this window or the one before."""
    window, _, mac = token.partition(".")
    if not window.isascii() or not window.isdigit() or len(window) > 12:
        return False
    current = int((time.time() if now is None else now) // WINDOW_SECONDS)
    if int(window) not in (current, current - 1):
        return False
    expected = _mac(key, purpose, int(window))
    return hmac.compare_digest(expected.encode(), mac.encode("utf-8", "surrogatepass"))


def _mac(key: bytes, purpose: str, window: int) -> str:
    return hmac.new(key, f"{purpose}\n{window}".encode(), hashlib.sha256).hexdigest()[:32]
