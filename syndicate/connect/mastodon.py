"""Connecting a Mastodon account: the app registers itself on the admin's server once
(POST /api/v1/apps), sends the admin to /oauth/authorize with PKCE and a one-time `state`,
exchanges the code at /oauth/token, and checks the token with
GET /api/v1/accounts/verify_credentials before the channel is stored.

https://docs.joinmastodon.org/client/token/ and https://docs.joinmastodon.org/methods/apps/
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from sqlalchemy.orm import Session, sessionmaker

from syndicate.connect import attempts
from syndicate.connect.attempts import Attempt, Connected, ConnectProblem
from syndicate.connect.verify import verified
from syndicate.http import make_oauth_session, make_session

PLATFORM = "mastodon"
# Posting, editing and deleting statuses, uploading media, and reading them back (counts).
SCOPES = "read write"
CLIENT_NAME = "Syndicate"


def server_url(typed: str) -> str:
    """The server's base URL from what an admin typed: `mastodon.social` or a full URL."""
    typed = typed.strip()
    if "://" not in typed:
        typed = f"https://{typed}"
    parts = urlsplit(typed)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConnectProblem("the server is an address like mastodon.social")
    return f"{parts.scheme}://{parts.netloc}"


def start(
    factory: sessionmaker[Session],
    typed_server: str,
    channel: str,
    actor: str,
    callback: str,
    now: datetime,
) -> str:
    """Where to send the admin to grant access: the server's consent page."""
    server = server_url(typed_server)
    with factory() as session:
        client = attempts.registered_client(session, server, callback)
        client_id = client.client_id if client else ""
    if not client_id:
        client_id, client_secret = _register(server, callback)
        with factory.begin() as session:
            attempts.keep_client(session, server, callback, client_id, client_secret, now)
    verifier = generate_token(48)
    with factory.begin() as session:
        state = attempts.begin(session, PLATFORM, channel, server, verifier, actor, now)
    oauth = make_oauth_session(
        client_id=client_id,
        redirect_uri=callback,
        scope=SCOPES,
        code_challenge_method="S256",
    )
    url, _ = oauth.create_authorization_url(
        f"{server}/oauth/authorize", state=state, code_verifier=verifier
    )
    return str(url)


def _register(server: str, callback: str) -> tuple[str, str]:
    try:
        response = make_session().post(
            f"{server}/api/v1/apps",
            data={"client_name": CLIENT_NAME, "redirect_uris": callback, "scopes": SCOPES},
        )
        app = response.json() if response.ok else {}
    except (requests.RequestException, ValueError):
        raise ConnectProblem(f"could not reach {server}") from None
    if not isinstance(app, dict) or not app.get("client_id") or not app.get("client_secret"):
        raise ConnectProblem(
            f"{server} is not a Mastodon server: registering the app there "
            f"(POST /api/v1/apps) answered HTTP {response.status_code}"
        )
    return str(app["client_id"]), str(app["client_secret"])


def finish(factory: sessionmaker[Session], attempt: Attempt, code: str, callback: str) -> Connected:
    """Exchange the code for a token and check it; the channel as it will be stored."""
    with factory() as session:
        client = attempts.registered_client(session, attempt.server, callback)
        if client is None:
            raise ConnectProblem("the app's registration on this server is gone; start again")
        client_id, client_secret = client.client_id, client.client_secret
    oauth = make_oauth_session(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_post",
        redirect_uri=callback,
        scope=SCOPES,
        code_challenge_method="S256",
    )
    try:
        token = oauth.fetch_token(
            f"{attempt.server}/oauth/token",
            grant_type="authorization_code",
            code=code,
            code_verifier=attempt.code_verifier,
        )
    except (OAuthError, OAuth2Error) as exc:
        raise ConnectProblem(
            f"{attempt.server} did not accept the sign-in ({exc.error}); it may have expired: "
            "start again"
        ) from None
    except (requests.RequestException, ValueError):
        raise ConnectProblem(f"could not reach {attempt.server} to finish the sign-in") from None
    access = str(token.get("access_token") or "")
    if not access:
        raise ConnectProblem(f"{attempt.server} answered without an access token")
    fields: dict[str, object] = {
        "name": attempt.channel,
        "platform": PLATFORM,
        "url": attempt.server,
    }
    account = verified(fields, {"secret": access})
    return Connected(fields, {"secret": access}, account)
