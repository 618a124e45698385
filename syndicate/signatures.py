"""The `Syndicate-Signature` scheme, used for inbound CMS webhooks and outbound webhook posts.

    Syndicate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

Several `v1` values may be present (a sender signing with old and new secret during rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

HEADER = "Syndicate-Signature"
# Unix seconds (or Ghost's milliseconds) as ASCII digits, short enough to be a real time.
TIMESTAMP = re.compile(r"[0-9]{1,15}")
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """The signature is missing, malformed, wrong or too old; the message says which."""


def sign(body: bytes, secret: bytes, timestamp: int | None = None) -> str:
    """The header value for `body` signed with `secret`."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(body, secret, t)}"


def _digest(body: bytes, secret: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        value = value.strip()
        if key == "t" and TIMESTAMP.fullmatch(value):
            timestamp = int(value)
        elif key == "v1" and HEX_DIGEST.fullmatch(value.lower()):
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureError("malformed signature header: expected t=<unix seconds>,v1=<hex>")
    return timestamp, signatures


def present(header: str | None, name: str, secrets: Sequence[bytes]) -> str:
    """The header's value, once there are secrets to check it with and it was sent."""
    if not secrets:
        raise SignatureError("no webhook secret is configured on this server")
    if not header:
        raise SignatureError(f"missing {name} header")
    return header


def accept(
    signed_at: float,
    given: Sequence[str],
    expected: Sequence[str],
    tolerance: int,
    now: float | None,
) -> None:
    current = time.time() if now is None else now
    if abs(current - signed_at) > tolerance:
        raise SignatureError("signature timestamp is too far from the current time")
    # Every value compared is hex, and so ASCII: compare_digest takes them as they are.
    if not any(hmac.compare_digest(e, g) for e in expected for g in given):
        raise SignatureError("signature does not match")


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[bytes],
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> None:
    """Raise `SignatureError` unless one of `secrets` signed `body` within the tolerance."""
    timestamp, given = _parse(present(header, HEADER, secrets))
    expected = [_digest(body, secret, timestamp) for secret in secrets]
    accept(timestamp, given, expected, tolerance_seconds, now)
