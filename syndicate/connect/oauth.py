"""The OAuth 2.0 authorization code flow for platforms the newsroom registered an app on (X,
LinkedIn, Threads, Facebook): the admin is sent to the platform's consent page with a one-time
`state` (and PKCE where the platform takes it), comes back with a code, and the code is
exchanged for tokens with Authlib. Each platform's module says where its pages are, what it
asks for, and what it does with the tokens."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from sqlalchemy.orm import Session, sessionmaker

from syndicate.connect import attempts
from syndicate.connect.attempts import ConnectProblem
from syndicate.http import make_oauth_session
from syndicate.platforms.options import Grant


@dataclass(frozen=True)
class Provider:
    platform: str
    authorize: str
    token: str
    api: str
    scopes: tuple[str, ...]
    pkce: bool
    scope_separator: str = " "
    # How the app proves itself at the token endpoint.
    auth_method: str = "client_secret_post"
    token_method: str = "POST"

    def at(self, server: str | None) -> Provider:
        """The same provider with every address on a stand-in server."""
        if not server:
            return self
        base = server.rstrip("/")
        return replace(
            self,
            authorize=_moved(self.authorize, base),
            token=_moved(self.token, base),
            api=_moved(self.api, base),
        )

    @property
    def scope(self) -> str:
        return self.scope_separator.join(self.scopes)


@dataclass(frozen=True)
class App:
    """The newsroom's app on the platform."""

    client_id: str
    client_secret: str


def _moved(url: str, base: str) -> str:
    parts = urlsplit(url)
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


def start(
    factory: sessionmaker[Session],
    provider: Provider,
    app: App,
    channel: str,
    actor: str,
    callback: str,
    now: datetime,
) -> str:
    """Where to send the admin: the platform's consent page."""
    verifier = generate_token(48) if provider.pkce else ""
    with factory.begin() as session:
        state = attempts.begin(session, provider.platform, channel, "", verifier, actor, now)
    oauth = make_oauth_session(
        client_id=app.client_id,
        redirect_uri=callback,
        scope=provider.scope,
        code_challenge_method="S256" if provider.pkce else None,
    )
    url, _ = oauth.create_authorization_url(
        provider.authorize, state=state, code_verifier=verifier or None
    )
    return str(url)


def exchange(
    provider: Provider, app: App, code: str, verifier: str, callback: str
) -> dict[str, Any]:
    """The token endpoint's answer for the code; ConnectProblem if it refuses."""
    # A GET token endpoint (Facebook's) takes the app's id and secret among its parameters.
    by_query = provider.token_method == "GET"
    oauth = make_oauth_session(
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_endpoint_auth_method="none" if by_query else provider.auth_method,
        redirect_uri=callback,
        scope=provider.scope,
    )
    extra = {"code_verifier": verifier} if verifier else {}
    if by_query:
        extra |= {"client_id": app.client_id, "client_secret": app.client_secret}
    try:
        token = oauth.fetch_token(
            provider.token,
            method=provider.token_method,
            grant_type="authorization_code",
            code=code,
            **extra,
        )
    except (OAuthError, OAuth2Error) as exc:
        # Meta's Graph API answers with an error object rather than an OAuth error code.
        reason = exc.error.get("message") if isinstance(exc.error, dict) else exc.error
        raise ConnectProblem(
            f"{provider.platform} did not accept the sign-in ({reason}); it may have "
            "expired: start again"
        ) from None
    except (requests.RequestException, ValueError):
        raise ConnectProblem(f"could not reach {provider.platform} to finish the sign-in") from None
    if not token.get("access_token"):
        raise ConnectProblem(f"{provider.platform} answered without an access token")
    return dict(token)


def grant_of(answer: dict[str, Any], now: datetime | None = None) -> Grant:
    """Tokens as the vault keeps them, from a token endpoint's answer."""
    expires_in = answer.get("expires_in")
    when = now or datetime.now(UTC)
    expires_at = when + timedelta(seconds=int(expires_in)) if expires_in else None
    return Grant(str(answer["access_token"]), str(answer.get("refresh_token") or ""), expires_at)
