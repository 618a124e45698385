"""What an adapter may know of the service around it: its channel's options, and a place that
keeps rotating OAuth tokens. Both are protocols, so adapters depend on neither the site file nor
the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class ChannelOptions(Protocol):
    """The channel settings adapters read (the site file's channel tables provide them)."""

    @property
    def name(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def api_version(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def refresh_token_env(self) -> str: ...
    @property
    def oauth_tokens(self) -> bool: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def content_warning(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def photo(self) -> bool: ...
    def secret(self) -> str: ...
    def refresh_token(self) -> str: ...
    def client_secret(self) -> str: ...


@dataclass(frozen=True)
class Grant:
    """What a token endpoint answered: `expires_at` is None when the platform did not say."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None = None


class NoTokens(Exception):
    """The channel has neither stored tokens nor a refresh token to start from."""


class VaultClosed(Exception):
    """The stored tokens cannot be opened (no key to decrypt them with); the message says
    what to set."""


Refresher = Callable[[str], Grant]


class TokenStore(Protocol):
    """Where a channel's rotating tokens are kept for every worker to share."""

    def access_token(
        self,
        channel: str,
        seed: Grant | None,
        refresher: Refresher,
        margin: timedelta | None = None,
    ) -> str: ...

    def refresh(self, channel: str, stale: str | None, refresher: Refresher) -> str: ...
