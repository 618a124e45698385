"""Connecting an X account: OAuth 2.0 with PKCE on the newsroom's app, asking to post, read and
stay connected (`offline.access` gives the refresh token that keeps it so); the tokens are kept
in the database and rotated there. https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code
"""

from __future__ import annotations

from typing import Any

from syndicate.connect.attempts import Connected
from syndicate.connect.oauth import App, Provider, grant_of
from syndicate.connect.verify import verified

PROVIDER = Provider(
    platform="x",
    authorize="https://x.com/i/oauth2/authorize",
    token="https://api.x.com/2/oauth2/token",
    api="https://api.x.com",
    scopes=("tweet.read", "tweet.write", "users.read", "offline.access", "media.write"),
    pkce=True,
    auth_method="client_secret_basic",
)


def connected(provider: Provider, app: App, answer: dict[str, Any], channel: str) -> Connected:
    fields: dict[str, object] = {
        "name": channel,
        "platform": "x",
        "client_id": app.client_id,
        "oauth_tokens": True,
    }
    if provider.api != PROVIDER.api:
        fields["url"] = provider.api
    credentials = {"client_secret": app.client_secret}
    tokens = grant_of(answer)
    return Connected(fields, credentials, verified(fields, credentials, tokens), tokens)
