"""What a CMS adapter is: the path its webhooks are posted to, how they are signed, and how a
body maps onto the generic contract."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from syndicate.cms.contract import ArticleEvent

# (header value, raw body, secrets, tolerance in seconds) -> None, or SignatureError.
Verifier = Callable[[str | None, bytes, Sequence[bytes], int], None]


@dataclass(frozen=True)
class Cms:
    """One CMS's webhooks, posted to /hooks/<name>."""

    name: str
    signature_header: str
    verify: Verifier
    # (decoded JSON, raw body) -> the event it stands for, or InvalidPayload.
    parse: Callable[[Any, bytes], ArticleEvent]
