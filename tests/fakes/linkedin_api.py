"""LinkedIn's authorization on loopback, as its documentation describes it: the consent page,
the code exchange at /oauth/v2/accessToken (and, for an app allowed them, refresh tokens), and
OpenID Connect's /v2/userinfo for the token's member."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import JsonHandler, LoopbackServer
from tests.fakes.oauth_provider import Authorizer

CLIENT_ID = "linkedin-app"
CLIENT_SECRET = "linkedin-app-secret"
MEMBER = "782bbtaQ"
SIXTY_DAYS = 60 * 24 * 3600


@dataclass
class FakeLinkedIn(LoopbackServer):
    # Whether the app is one LinkedIn gives refresh tokens to.
    refresh_tokens: bool = False
    authorizer: Authorizer = field(
        default_factory=lambda: Authorizer(CLIENT_ID, CLIENT_SECRET, pkce=False)
    )
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.serve(self._handler())

    def _tokens(self) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        answer: dict[str, Any] = {
            "access_token": access,
            "expires_in": SIXTY_DAYS,
            "scope": "openid,profile,w_member_social",
            "token_type": "Bearer",
        }
        with self.lock:
            self.access.add(access)
            if self.refresh_tokens:
                refresh = secrets.token_urlsafe(24)
                self.refresh.add(refresh)
                answer |= {"refresh_token": refresh, "refresh_token_expires_in": 365 * 86400}
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/oauth/v2/authorization":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    self.redirect(fake.authorizer.consent(query))
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                with fake.lock:
                    known = token in fake.access
                if url.path == "/v2/userinfo" and known:
                    self.answer(
                        200, {"sub": MEMBER, "name": "Ada Reporter", "email_verified": True}
                    )
                else:
                    self.answer(
                        401,
                        {
                            "serviceErrorCode": 65600,
                            "message": "Invalid access token",
                            "status": 401,
                        },
                    )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/oauth/v2/accessToken":
                    self.answer(404, {"message": "Not found", "status": 404})
                elif form.get("grant_type") == "authorization_code":
                    status, granted = fake.authorizer.redeem(form)
                    self.answer(200, fake._tokens()) if status == 200 else self.answer(
                        status, granted
                    )
                elif form.get("grant_type") == "refresh_token":
                    with fake.lock:
                        known = form.get("refresh_token") in fake.refresh
                    right = (form.get("client_id"), form.get("client_secret")) == (
                        CLIENT_ID,
                        CLIENT_SECRET,
                    )
                    if known and right:
                        self.answer(200, fake._tokens())
                    else:
                        self.answer(
                            400,
                            {
                                "error": "invalid_request",
                                "error_description": "The provided refresh token is invalid",
                            },
                        )
                else:
                    self.answer(400, {"error": "unsupported_grant_type"})

        return Handler
