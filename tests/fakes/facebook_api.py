"""Facebook Login and the Graph API's Pages on loopback, as Meta documents them: the login
dialog (with PKCE), the code exchange and the long-lived exchange (`fb_exchange_token`) at
/oauth/access_token, the Pages a person manages with their Page tokens (`/me/accounts`), and a
Page read with its token."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import JsonHandler, LoopbackServer
from tests.fakes.oauth_provider import Authorizer

APP_ID = "facebook-app"
APP_SECRET = "facebook-app-secret"
VERSION = "/v21.0"
PAGES = {"1234567890": "Harbour Gazette", "2233445566": "Gazette Sport"}


@dataclass
class FakeFacebook(LoopbackServer):
    authorizer: Authorizer = field(
        default_factory=lambda: Authorizer(APP_ID, APP_SECRET, pkce=True)
    )
    short_lived: set[str] = field(default_factory=set)
    long_lived: set[str] = field(default_factory=set)
    page_tokens: dict[str, str] = field(default_factory=dict)  # token -> page id
    pages: dict[str, str] = field(default_factory=lambda: dict(PAGES))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.serve(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            def refuse(self, message: str, code: int = 190) -> None:
                self.answer(
                    400, {"error": {"message": message, "type": "OAuthException", "code": code}}
                )

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                path = url.path.removeprefix(VERSION)
                if path == "/dialog/oauth":
                    self.redirect(fake.authorizer.consent(query))
                elif (
                    path == "/oauth/access_token" and query.get("grant_type") == "fb_exchange_token"
                ):
                    self.exchange(query)
                elif path == "/oauth/access_token":
                    status, granted = fake.authorizer.redeem(query)
                    if status != 200:
                        self.refuse(granted.get("error_description", granted["error"]), 100)
                        return
                    token = secrets.token_urlsafe(16)
                    with fake.lock:
                        fake.short_lived.add(token)
                    self.answer(
                        200, {"access_token": token, "token_type": "bearer", "expires_in": 5400}
                    )
                elif path == "/me/accounts":
                    self.accounts(query.get("access_token", ""))
                elif path.strip("/") in fake.pages:
                    page = path.strip("/")
                    with fake.lock:
                        allowed = fake.page_tokens.get(query.get("access_token", "")) == page
                    if allowed:
                        self.answer(200, {"id": page, "name": fake.pages[page]})
                    else:
                        self.refuse("Invalid OAuth access token")
                else:
                    self.refuse("Unsupported get request", 100)

            def exchange(self, query: dict[str, str]) -> None:
                right = (query.get("client_id"), query.get("client_secret")) == (APP_ID, APP_SECRET)
                with fake.lock:
                    known = query.get("fb_exchange_token") in fake.short_lived
                    token = secrets.token_urlsafe(24)
                    if right and known:
                        fake.long_lived.add(token)
                if not (right and known):
                    self.refuse("Error validating access token")
                    return
                self.answer(
                    200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}
                )

            def accounts(self, user_token: str) -> None:
                with fake.lock:
                    known = user_token in fake.long_lived or user_token in fake.short_lived
                    data = []
                    for page, name in fake.pages.items():
                        token = secrets.token_urlsafe(24)
                        fake.page_tokens[token] = page
                        data.append(
                            {"id": page, "name": name, "access_token": token, "category": "Media"}
                        )
                if not known:
                    self.refuse("Invalid OAuth access token")
                    return
                self.answer(200, {"data": data, "paging": {}})

        return Handler
