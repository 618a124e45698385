"""A channel about to be stored is checked first, with the platform's own harmless call (the
same one `syndicate channels check` makes), using the credentials just handed over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from syndicate.adapters import adapter
from syndicate.config import ChannelConfig
from syndicate.connect.attempts import ConnectProblem
from syndicate.http import make_session
from syndicate.platforms.base import DeliveryError, NotCheckable
from syndicate.platforms.options import Grant, Refresher


class HeldTokens:
    """The tokens just granted, held for the check before anything is stored."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant

    def access_token(
        self,
        channel: str,
        seed: Grant | None,
        refresher: Refresher,
        margin: timedelta | None = None,
    ) -> str:
        return self.grant.access_token

    def refresh(self, channel: str, stale: str | None, refresher: Refresher) -> str:
        raise ConnectProblem("the platform refused the token it had just granted")


def verified(
    fields: dict[str, Any], credentials: dict[str, str], tokens: Grant | None = None
) -> str:
    """Whose the credentials are, as the platform says; ConnectProblem if it refuses them."""
    try:
        channel = ChannelConfig.from_app(fields, credentials)
    except ValueError as exc:
        raise ConnectProblem(f"the channel is not valid: {exc}") from None
    vault = HeldTokens(tokens) if tokens else None
    try:
        return adapter(channel, make_session(), vault).check()  # type: ignore[arg-type]
    except NotCheckable:
        return ""
    except DeliveryError as error:
        raise ConnectProblem(
            f"{channel.platform} refused the credentials: {error.message}"
        ) from None
