"""What every notifier is: the target it sends to (a protocol, so notifiers depend on neither
the site file nor the database), the message, and how a send fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import requests

from syndicate.platforms.base import retry_after_seconds

# What a target may ask to hear about.
EVENTS = (
    "post.pending",
    "post.failed",
    "post.unknown",
    "channel.paused",
    "channel.credentials_expiring",
    "delivery.backlog",
)


class TargetOptions(Protocol):
    """A `[[notifications]]` table of the site file."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def to(self) -> list[str]: ...
    @property
    def sender(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    def secret(self) -> str: ...
    def target_url(self) -> str: ...


@dataclass(frozen=True)
class Message:
    """One notification: `key` is the same for every attempt at it, and unique to it."""

    key: str
    event: str
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


class NotifyError(Exception):
    """A send that did not go through. `retry_after`: the receiver's own wait, in seconds;
    `permanent`: trying again cannot help (no address configured, a refused login)."""

    def __init__(
        self, message: str, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.message, self.retry_after, self.permanent = message, retry_after, permanent


class Notifier:
    """Sends notifications to one target."""

    kind: ClassVar[str]
    # Whether a send repeated after an unanswered one is recognised by the receiver as the
    # same (an Idempotency-Key it honours): only then is it retried after a worker dies.
    idempotent: ClassVar[bool] = False

    def __init__(self, target: TargetOptions, session: requests.Session, smtp_url: str) -> None:
        self.target = target
        self.session = session
        self.smtp_url = smtp_url

    def send(self, message: Message) -> None:
        raise NotImplementedError

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        if not url:
            raise NotifyError(f"{self.target.name}: no address configured", permanent=True)
        try:
            response = self.session.post(
                url, timeout=(5.0, self.target.timeout_seconds), allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            raise NotifyError(f"{self.target.name}: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise NotifyError(
                f"{self.target.name}: HTTP {response.status_code}",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if response.status_code >= 300:
            raise NotifyError(
                f"{self.target.name}: HTTP {response.status_code}: {response.text[:200]}",
                permanent=True,
            )
        return response
