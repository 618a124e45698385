"""X's API v2 on loopback, as its documentation describes it: OAuth 2.0 user tokens that expire,
single-use refresh tokens that rotate, posts and replies, media with alt text, the account's
recent posts, post lookup with public metrics, and deletes."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import html
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

from tests.fakes.loopback import JsonHandler, LoopbackServer
from tests.fakes.oauth_provider import Authorizer

USER_ID = "2244994945"
CLIENT_ID = "syndicate-client"
CLIENT_SECRET = "client-secret"
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
INVALID_TOKEN = {
    "error": "invalid_request",
    "error_description": "Value passed for the token was invalid.",
}
URL = regex.compile(r"https?://\S+")


@dataclass
class FakeX(LoopbackServer):
    token_lifetime: int = 7200
    access: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)
    refresh: set[str] = field(default_factory=set)
    tweets: list[dict[str, Any]] = field(default_factory=list)  # newest last
    token_requests: list[dict[str, str]] = field(default_factory=list)
    drop_next_post_answer: bool = False  # store the post, then drop the connection
    drop_next_post: bool = False  # drop the connection before storing anything
    # Until this moment (time.monotonic()), X takes every request in and acts on it, but
    # holds the answer back: a platform that hangs.
    hang_until: float = 0.0
    # The newsroom's app: its consent page and code exchange (authorization code with PKCE).
    authorizer: Authorizer = field(
        default_factory=lambda: Authorizer(CLIENT_ID, CLIENT_SECRET, pkce=True)
    )
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    likes: dict[str, int] = field(default_factory=dict)  # tweet id -> likes given it
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.numbers = itertools.count(1)
        self.serve(self._handler())

    def issue(self, lifetime: int | None = None) -> tuple[str, str]:
        """A new (access, refresh) pair, as the authorisation flow would hand the operator."""
        number = next(self.numbers)
        access, refresh = f"access-{number}", f"refresh-{number}"
        with self.lock:
            self.access[access] = time.time() + (
                self.token_lifetime if lifetime is None else lifetime
            )
            self.refresh.add(refresh)
        return access, refresh

    def metrics(self, tweet: dict[str, Any]) -> dict[str, int]:
        replies = sum(
            1
            for t in self.tweets
            if {"type": "replied_to", "id": tweet["id"]} in t.get("referenced_tweets", [])
        )
        likes = self.likes.get(tweet["id"], 0)
        return {"like_count": likes, "retweet_count": 0, "reply_count": replies, "quote_count": 0}

    def hold_answer(self) -> None:
        time.sleep(max(0.0, self.hang_until - time.monotonic()))

    def posted(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.tweets)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        x = self

        class Handler(JsonHandler):
            def answer(self, status: int, body: dict[str, Any] | list[Any]) -> None:
                x.hold_answer()
                super().answer(status, body)

            def signed_in(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                with x.lock:
                    live = x.access.get(token, 0) > time.time()
                if not live:
                    self.answer(401, UNAUTHORIZED)
                return live

            def body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/i/oauth2/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    self.redirect(x.authorizer.consent(query))
                    return
                if not self.signed_in():
                    return
                if url.path == "/2/users/me":
                    self.answer(
                        200, {"data": {"id": USER_ID, "name": "Gazette", "username": "newsroom"}}
                    )
                elif url.path == "/2/tweets":
                    ids = parse_qs(url.query).get("ids", [""])[0].split(",")
                    with x.lock:
                        found = [
                            {"id": t["id"], "text": t["text"], "public_metrics": x.metrics(t)}
                            for t in x.tweets
                            if t["id"] in ids
                        ]
                    self.answer(200, {"data": found} if found else {"errors": [{"id": ids[0]}]})
                elif url.path == f"/2/users/{USER_ID}/tweets":
                    limit = int(parse_qs(url.query).get("max_results", ["10"])[0])
                    with x.lock:
                        newest = list(reversed(x.tweets))[:limit]
                    self.answer(200, {"data": newest, "meta": {"result_count": len(newest)}})
                else:
                    self.answer(404, {"title": "Not Found Error", "status": 404})

            def do_DELETE(self) -> None:
                if not self.signed_in():
                    return
                tweet_id = urlsplit(self.path).path.rsplit("/", 1)[-1]
                with x.lock:
                    x.tweets = [t for t in x.tweets if t["id"] != tweet_id]
                self.answer(200, {"data": {"deleted": True}})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                if path == "/2/oauth2/token":
                    self.token(self.body())
                elif path == "/2/tweets":
                    body = self.body()
                    with x.lock:
                        lost, x.drop_next_post = x.drop_next_post, False
                    if lost:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.connection.close()
                    elif self.signed_in():
                        self.tweet(json.loads(body))
                elif path == "/2/media/upload" and self.signed_in():
                    self.upload(self.body())
                elif path == "/2/media/metadata" and self.signed_in():
                    metadata = json.loads(self.body())
                    with x.lock:
                        x.media[metadata["id"]]["alt_text"] = metadata["metadata"]["alt_text"]
                    self.answer(200, {"data": {"associated_metadata": True}})
                else:
                    self.answer(404, {"title": "Not Found Error", "status": 404})

            def token(self, body: bytes) -> None:
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                if form.get("grant_type") == "authorization_code":
                    status, granted = x.authorizer.redeem(
                        form, self.headers.get("Authorization", "")
                    )
                    if status != 200:
                        self.answer(status, granted)
                        return
                    access, refresh = x.issue()
                    self.answer(
                        200,
                        {
                            "token_type": "bearer",
                            "expires_in": x.token_lifetime,
                            "access_token": access,
                            "scope": granted["scope"],
                            "refresh_token": refresh,
                        },
                    )
                    return
                basic = self.headers.get("Authorization", "").removeprefix("Basic ")
                client = base64.b64decode(basic).decode() if basic else ""
                with x.lock:
                    x.token_requests.append({**form, "basic": client})
                    known = form.get("refresh_token") in x.refresh
                    if known:
                        x.refresh.discard(form["refresh_token"])
                right_client = (
                    client == f"{CLIENT_ID}:{CLIENT_SECRET}" and form.get("client_id") == CLIENT_ID
                )
                if form.get("grant_type") != "refresh_token" or not known or not right_client:
                    self.answer(400, INVALID_TOKEN)
                    return
                access, refresh = x.issue()
                self.answer(
                    200,
                    {
                        "token_type": "bearer",
                        "expires_in": x.token_lifetime,
                        "access_token": access,
                        "scope": "tweet.read tweet.write users.read offline.access",
                        "refresh_token": refresh,
                    },
                )

            def upload(self, body: bytes) -> None:
                """A multipart upload: keep the image's bytes under a new media id."""
                kind = self.headers.get("Content-Type", "")
                parts = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {kind}\r\n\r\n".encode() + body
                )
                fields = {
                    p.get_param("name", header="content-disposition"): p for p in parts.iter_parts()
                }
                media_id = str(1870000000000000000 + next(x.numbers))
                with x.lock:
                    x.media[media_id] = {
                        "bytes": fields["media"].get_content(),
                        "media_category": fields["media_category"].get_content().strip(),
                    }
                self.answer(200, {"data": {"id": media_id, "media_key": f"3_{media_id}"}})

            def tweet(self, body: dict[str, Any]) -> None:
                text = body["text"]
                tweet_id = str(1860000000000000000 + next(x.numbers))
                # X shows every link as a t.co address and keeps the original in its entities,
                # and escapes &, < and > in the text it gives back.
                urls = [{"expanded_url": u, "url": "https://t.co/abc"} for u in URL.findall(text)]
                shown = html.escape(URL.sub("https://t.co/abc", text), quote=False)
                stored: dict[str, Any] = {"id": tweet_id, "text": shown, "entities": {"urls": urls}}
                replying = (body.get("reply") or {}).get("in_reply_to_tweet_id")
                if replying:
                    stored["referenced_tweets"] = [{"type": "replied_to", "id": replying}]
                if body.get("media"):
                    stored["media_ids"] = body["media"]["media_ids"]
                with x.lock:
                    x.tweets.append(stored)
                    drop, x.drop_next_post_answer = x.drop_next_post_answer, False
                if drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                    return
                self.answer(201, {"data": {"id": tweet_id, "text": text}})

        return Handler
