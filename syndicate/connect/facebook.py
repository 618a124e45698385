"""Connecting a Facebook Page: the admin signs in on the newsroom's app (with PKCE), the user
token is exchanged for a long-lived one (`fb_exchange_token`), and the Pages it manages are
listed (`/me/accounts`) for the admin to pick; the channel keeps that Page's token, which does
not expire while the admin keeps their access.
https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow and
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from syndicate.connect.attempts import Connected, ConnectProblem
from syndicate.connect.oauth import App, Provider
from syndicate.connect.verify import verified
from syndicate.http import make_session

PROVIDER = Provider(
    platform="facebook",
    authorize="https://www.facebook.com/v21.0/dialog/oauth",
    token="https://graph.facebook.com/v21.0/oauth/access_token",
    api="https://graph.facebook.com/v21.0",
    scopes=(
        "pages_show_list",
        "pages_manage_posts",
        "pages_read_engagement",
        "pages_manage_engagement",
        "read_insights",
    ),
    pkce=True,
    scope_separator=",",
    token_method="GET",
)


@dataclass(frozen=True)
class Page:
    id: str
    name: str
    token: str


def long_lived(provider: Provider, app: App, answer: dict[str, Any]) -> str:
    found = _graph(
        provider,
        "/oauth/access_token",
        grant_type="fb_exchange_token",
        client_id=app.client_id,
        client_secret=app.client_secret,
        fb_exchange_token=str(answer["access_token"]),
    )
    if not found.get("access_token"):
        raise ConnectProblem("Facebook did not give a long-lived token")
    return str(found["access_token"])


def pages(provider: Provider, user_token: str) -> list[Page]:
    """The Pages the signed-in person manages, each with its Page token."""
    found = _graph(provider, "/me/accounts", fields="id,name,access_token", access_token=user_token)
    listed = [
        Page(str(p["id"]), str(p.get("name") or p["id"]), str(p["access_token"]))
        for p in found.get("data", [])
        if isinstance(p, dict) and p.get("id") and p.get("access_token")
    ]
    if not listed:
        raise ConnectProblem("the account manages no Facebook Page this app may post to")
    return listed


def connected(provider: Provider, page: Page, channel: str) -> Connected:
    fields: dict[str, object] = {"name": channel, "platform": "facebook", "target": page.id}
    if provider.api != PROVIDER.api:
        fields["url"] = provider.api
    credentials = {"secret": page.token}
    return Connected(fields, credentials, verified(fields, credentials))


def _graph(provider: Provider, path: str, **params: str) -> dict[str, Any]:
    try:
        response = make_session().get(f"{provider.api}{path}", params=params)
        answer = response.json()
    except (requests.RequestException, ValueError):
        raise ConnectProblem("could not reach Facebook") from None
    if not response.ok or not isinstance(answer, dict):
        message = (answer.get("error") or {}).get("message") if isinstance(answer, dict) else ""
        raise ConnectProblem(f"Facebook refused: {message or f'HTTP {response.status_code}'}")
    return answer
