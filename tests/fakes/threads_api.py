"""The Threads API on loopback, as Meta documents it: media containers created, looked at and
published, replies made by naming `reply_to_id`, a post's replies (each saying whether the
account owns it), lifetime insights, an answer lost after a publish on demand; and its
authorization: the consent page, the code for a short-lived token, that for a long-lived one
(`th_exchange_token`), and its renewal (`th_refresh_token`)."""

from __future__ import annotations

import itertools
import secrets
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import JsonHandler, LoopbackServer
from tests.fakes.oauth_provider import Authorizer

USER_ID = "17841400000"
TOKEN = "threads-token"
APP_ID = "threads-app-id"
APP_SECRET = "threads-app-secret"
LONG_LIVED_SECONDS = 60 * 24 * 3600


@dataclass
class FakeThreads(LoopbackServer):
    containers: dict[str, dict[str, str]] = field(default_factory=dict)
    published: list[dict[str, str]] = field(default_factory=list)  # in the order published
    likes: dict[str, int] = field(default_factory=dict)  # media id -> likes given it
    drop_next_publish_answer: bool = False  # publish, then drop the connection
    authorizer: Authorizer = field(
        default_factory=lambda: Authorizer(APP_ID, APP_SECRET, pkce=False)
    )
    tokens: set[str] = field(default_factory=lambda: {TOKEN})  # long-lived tokens that work
    short_lived: set[str] = field(default_factory=set)
    exchanges: list[dict[str, str]] = field(default_factory=list)  # long-lived and refreshes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.numbers = itertools.count(1)
        self.serve(self._handler())

    def posts(self) -> list[dict[str, str]]:
        with self.lock:
            return list(self.published)

    def _replies_to(self, media_id: str) -> list[dict[str, str]]:
        return [p for p in self.published if p.get("reply_to_id") == media_id]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            def refuse(self) -> None:
                error = {"message": "Invalid OAuth access token", "type": "OAuthException"}
                self.answer(400, {"error": {**error, "code": 190}})

            def long_lived(self, query: dict[str, str], grant: str) -> None:
                with fake.lock:
                    fake.exchanges.append({"grant_type": grant, **query})
                    spent = query.get("access_token", "")
                    known = spent in (
                        fake.short_lived if grant == "th_exchange_token" else fake.tokens
                    )
                    if grant == "th_exchange_token":
                        known = known and query.get("client_secret") == APP_SECRET
                    fresh = secrets.token_urlsafe(24)
                    if known:
                        fake.tokens.add(fresh)
                if not known:
                    self.refuse()
                    return
                body = {
                    "access_token": fresh,
                    "token_type": "bearer",
                    "expires_in": LONG_LIVED_SECONDS,
                }
                self.answer(200, body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                path = url.path.removeprefix("/v1.0")
                if path == "/oauth/authorize":
                    self.redirect(fake.authorizer.consent(query))
                    return
                if path == "/access_token" and query.get("grant_type") == "th_exchange_token":
                    self.long_lived(query, "th_exchange_token")
                    return
                if (
                    path == "/refresh_access_token"
                    and query.get("grant_type") == "th_refresh_token"
                ):
                    self.long_lived(query, "th_refresh_token")
                    return
                with fake.lock:
                    signed_in = query.get("access_token") in fake.tokens
                if not signed_in:
                    self.refuse()
                    return
                node, _, edge = path.strip("/").partition("/")
                if node == USER_ID and not edge:
                    self.answer(200, {"id": USER_ID, "username": "gazette"})
                    return
                with fake.lock:
                    post = next((p for p in fake.published if p["id"] == node), None)
                    if node in fake.containers and not edge:
                        self.answer(200, {"id": node, "status": "FINISHED"})
                    elif post and not edge:
                        self.answer(200, {"id": node, "permalink": post["permalink"]})
                    elif post and edge == "replies":
                        data = [
                            {
                                "id": r["id"],
                                "text": r["text"],
                                "permalink": r["permalink"],
                                "is_reply_owned_by_me": True,
                            }
                            for r in fake._replies_to(node)
                        ]
                        self.answer(200, {"data": data})
                    elif post and edge == "insights":
                        counts = {
                            "likes": fake.likes.get(node, 0),
                            "replies": len(fake._replies_to(node)),
                            "reposts": 0,
                            "quotes": 0,
                        }
                        asked = query.get("metric", "").split(",")
                        data = [
                            {
                                "name": name,
                                "period": "lifetime",
                                "values": [{"value": counts[name]}],
                            }
                            for name in asked
                            if name in counts
                        ]
                        self.answer(200, {"data": data})
                    else:
                        self.answer(400, {"error": {"message": "Unsupported get", "code": 100}})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path.removeprefix("/v1.0")
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path == "/oauth/access_token":
                    status, granted = fake.authorizer.redeem(form)
                    if status != 200:
                        self.answer(
                            status,
                            {
                                "error": {
                                    "message": granted.get("error_description", granted["error"]),
                                    "type": "OAuthException",
                                    "code": 100,
                                }
                            },
                        )
                        return
                    short = secrets.token_urlsafe(16)
                    with fake.lock:
                        fake.short_lived.add(short)
                    self.answer(200, {"access_token": short, "user_id": int(USER_ID)})
                    return
                with fake.lock:
                    signed_in = form.pop("access_token", None) in fake.tokens
                if not signed_in:
                    self.refuse()
                    return
                if path == f"/{USER_ID}/threads":
                    container = f"container-{next(fake.numbers)}"
                    with fake.lock:
                        fake.containers[container] = form
                    self.answer(200, {"id": container})
                elif path == f"/{USER_ID}/threads_publish":
                    self.publish(form["creation_id"])
                else:
                    self.answer(400, {"error": {"message": "Unsupported post", "code": 100}})

            def publish(self, container: str) -> None:
                media_id = f"1790{next(fake.numbers):08d}"
                with fake.lock:
                    fields = fake.containers.pop(container)
                    fake.published.append(
                        {
                            **fields,
                            "id": media_id,
                            "permalink": f"https://www.threads.net/@gazette/post/{media_id}",
                        }
                    )
                    drop, fake.drop_next_publish_answer = fake.drop_next_publish_answer, False
                if drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                    return
                self.answer(200, {"id": media_id})

        return Handler
