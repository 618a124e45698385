"""Connecting a LinkedIn member: the authorization code flow on the newsroom's app (LinkedIn
takes no PKCE from web apps), the member found with OpenID Connect's userinfo and posting as
`urn:li:person:{sub}`. Tokens last 60 days; an app LinkedIn allows refresh tokens gets one and
the channel renews itself, otherwise the desk is told a week before it runs out.
https://learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow
"""

from __future__ import annotations

from typing import Any

import requests

from syndicate.connect.attempts import Connected, ConnectProblem
from syndicate.connect.oauth import App, Provider, grant_of
from syndicate.connect.verify import verified
from syndicate.http import make_session

PROVIDER = Provider(
    platform="linkedin",
    authorize="https://www.linkedin.com/oauth/v2/authorization",
    token="https://www.linkedin.com/oauth/v2/accessToken",
    api="https://api.linkedin.com",
    scopes=("openid", "profile", "w_member_social"),
    pkce=False,
)


def connected(provider: Provider, app: App, answer: dict[str, Any], channel: str) -> Connected:
    access = str(answer["access_token"])
    try:
        response = make_session().get(
            f"{provider.api}/v2/userinfo", headers={"Authorization": f"Bearer {access}"}
        )
        member = response.json() if response.ok else {}
    except (requests.RequestException, ValueError):
        raise ConnectProblem("could not reach LinkedIn to find the member") from None
    if not member.get("sub"):
        raise ConnectProblem(f"LinkedIn did not say who signed in (HTTP {response.status_code})")
    fields: dict[str, object] = {
        "name": channel,
        "platform": "linkedin",
        "target": f"urn:li:person:{member['sub']}",
        "client_id": app.client_id,
        "oauth_tokens": True,
    }
    if provider.api != PROVIDER.api:
        fields["url"] = provider.api
    credentials = {"client_secret": app.client_secret}
    tokens = grant_of(answer)
    return Connected(fields, credentials, verified(fields, credentials, tokens), tokens)
