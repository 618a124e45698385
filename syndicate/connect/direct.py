"""Channels whose credentials an admin pastes: a Telegram bot token and chat, a Discord or
Slack webhook address, or a generic webhook's address (with a signing secret the app makes
and shows once). Each is checked as far as the platform allows before it is stored."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from syndicate.connect.attempts import Connected, ConnectProblem
from syndicate.connect.verify import verified


def telegram(channel: str, bot_token: str, chat: str, api_server: str = "") -> Connected:
    """A bot and the chat it posts to; `api_server` is a self-hosted Bot API server, if the
    newsroom runs one (api.telegram.org otherwise)."""
    if not bot_token.strip() or not chat.strip():
        raise ConnectProblem("a bot token and a chat (@channel or its id) are both needed")
    fields: dict[str, object] = {"name": channel, "platform": "telegram", "target": chat.strip()}
    if api_server.strip():
        fields["url"] = _web_address(api_server)
    credentials = {"secret": bot_token.strip()}
    return Connected(fields, credentials, verified(fields, credentials))


def chat_webhook(channel: str, platform: str, address: str) -> Connected:
    """A Discord or Slack incoming webhook: its address is the credential (Discord's is read
    back to check it; Slack's cannot be without posting)."""
    url = _web_address(address)
    fields: dict[str, object] = {"name": channel, "platform": platform}
    credentials = {"secret": url}
    return Connected(fields, credentials, verified(fields, credentials))


def webhook(channel: str, address: str) -> Connected:
    """A generic webhook; the signing secret is made here and shown to the admin once."""
    fields: dict[str, object] = {
        "name": channel,
        "platform": "webhook",
        "url": _web_address(address),
    }
    return Connected(fields, {"secret": secrets.token_urlsafe(32)}, "")


def _web_address(typed: str) -> str:
    url = typed.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConnectProblem("the address is a full URL, starting with https://")
    return url
