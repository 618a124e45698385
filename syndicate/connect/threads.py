"""Connecting a Threads account: the authorization code is exchanged for a short-lived token,
that for a long-lived one (60 days, `th_exchange_token`), which the Threads channel renews
itself (`th_refresh_token`) a week before it runs out.
https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions and
https://developers.facebook.com/docs/threads/get-started/long-lived-tokens
"""

from __future__ import annotations

from typing import Any

import requests

from syndicate.connect.attempts import Connected, ConnectProblem
from syndicate.connect.oauth import App, Provider, grant_of
from syndicate.connect.verify import verified
from syndicate.http import make_session
from syndicate.platforms.options import Grant

PROVIDER = Provider(
    platform="threads",
    authorize="https://threads.net/oauth/authorize",
    token="https://graph.threads.net/oauth/access_token",
    api="https://graph.threads.net/v1.0",
    scopes=(
        "threads_basic",
        "threads_content_publish",
        "threads_manage_replies",
        "threads_read_replies",
        "threads_manage_insights",
        "threads_delete",
    ),
    pkce=False,
    scope_separator=",",
)


def connected(provider: Provider, app: App, answer: dict[str, Any], channel: str) -> Connected:
    user = str(answer.get("user_id") or "")
    if not user:
        raise ConnectProblem("Threads answered without the account's user id")
    long_lived = _long_lived(provider, app, str(answer["access_token"]))
    # The long-lived token is what renews itself: it is its own refresh token.
    tokens = Grant(long_lived.access_token, long_lived.access_token, long_lived.expires_at)
    fields: dict[str, object] = {
        "name": channel,
        "platform": "threads",
        "target": user,
        "oauth_tokens": True,
    }
    if provider.api != PROVIDER.api:
        fields["url"] = provider.api
    return Connected(fields, {}, verified(fields, {}, tokens), tokens)


def _long_lived(provider: Provider, app: App, short: str) -> Grant:
    host = provider.api.rsplit("/v1.0", 1)[0]
    try:
        response = make_session().get(
            f"{host}/access_token",
            params={
                "grant_type": "th_exchange_token",
                "client_secret": app.client_secret,
                "access_token": short,
            },
        )
        answer = response.json() if response.ok else {}
    except (requests.RequestException, ValueError):
        raise ConnectProblem("could not reach Threads for a long-lived token") from None
    if not answer.get("access_token"):
        raise ConnectProblem(
            f"Threads did not give a long-lived token (HTTP {response.status_code})"
        )
    return grant_of(answer)
