"""A channel about to be stored is checked first, with the platform's own harmless call (the
same one `syndicate channels check` makes), using the credentials just handed over."""

from __future__ import annotations

from typing import Any

from syndicate.adapters import adapter
from syndicate.config import ChannelConfig
from syndicate.connect.attempts import ConnectProblem
from syndicate.http import make_session
from syndicate.platforms.base import DeliveryError, NotCheckable


def verified(fields: dict[str, Any], credentials: dict[str, str]) -> str:
    """Whose the credentials are, as the platform says; ConnectProblem if it refuses them."""
    try:
        channel = ChannelConfig.from_app(fields, credentials)
    except ValueError as exc:
        raise ConnectProblem(f"the channel is not valid: {exc}") from None
    try:
        return adapter(channel, make_session()).check()
    except NotCheckable:
        return ""
    except DeliveryError as error:
        raise ConnectProblem(
            f"{channel.platform} refused the credentials: {error.message}"
        ) from None
