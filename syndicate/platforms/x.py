"""X (Twitter): 280 by weighted length, as twitter-text v3 counts it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from twitter_text import parse_tweet

from syndicate.platforms.base import (
    Counts,
    DeliveryError,
    Draft,
    Limits,
    Platform,
    Receipt,
    SentPost,
    nothing_posted,
)
from syndicate.platforms.options import Grant, NoTokens, VaultClosed
from syndicate.text import same_words

API = "https://api.x.com"
# https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token
TOKEN_PATH = "/2/oauth2/token"
RECENT_POSTS = 20
# https://docs.x.com/x-api/media/create-media-metadata
ALT_TEXT_LIMIT = 1000


class X(Platform):
    name = "x"
    # https://docs.x.com/resources/fundamentals/counting-characters: weights from
    # twitter-text config v3; every URL with a valid TLD costs 23; an emoji sequence costs 2.
    limits: ClassVar[Limits] = Limits(max_length=280, unit="weighted characters")
    can_delete = True
    finds_own_posts = True

    def mention(self, name: str, handle: str) -> str:
        return "@" + handle.strip().lstrip("@")

    def measure(self, text: str) -> int:
        return int(parse_tweet(text).weightedLength)

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        if draft.text and not parse_tweet(draft.text).valid and not found:
            found.append("X would refuse this text (it holds a character X does not accept)")
        return found

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"text": draft.text}

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        # https://docs.x.com/x-api/posts/creation-of-a-post, with an OAuth 2.0 user token.
        body = self.payload(draft, idempotency_key)
        media_id = self.upload_image(draft)
        if media_id:
            body["media"] = {"media_ids": [media_id]}
        return self._post(body)

    def _post(self, body: dict[str, Any]) -> Receipt:
        response = self.authorised("POST", "/2/tweets", json=body)
        return self.receipt(str(response.json()["data"]["id"]), response.status_code)

    can_reply = True
    can_thread = True
    finds_own_replies = True

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        reply_to = {"in_reply_to_tweet_id": parent.receipt.remote_id}
        return self._post({**self.payload(draft, idempotency_key), "reply": reply_to})

    def find_reply(self, parent: SentPost, draft: Draft) -> Receipt | None:
        """The account's recent post that replies to `parent` with this draft's words."""
        for post in self._recent("referenced_tweets"):
            answers = {
                r.get("id")
                for r in post.get("referenced_tweets", [])
                if r.get("type") == "replied_to"
            }
            if parent.receipt.remote_id in answers and same_words(post.get("text", ""), draft.text):
                return self.receipt(str(post["id"]))
        return None

    reads_counts = True

    def counts(self, sent: SentPost) -> Counts:
        """https://docs.x.com/x-api/posts/post-lookup-by-post-ids: public_metrics."""
        found = self.authorised(
            "GET",
            "/2/tweets",
            params={"ids": sent.receipt.remote_id, "tweet.fields": "public_metrics"},
        ).json()
        posts = found.get("data") or []
        if not posts:
            raise DeliveryError("X no longer has this post", permanent=True, status_code=404)
        metrics = posts[0].get("public_metrics") or {}
        return Counts(
            likes=metrics.get("like_count"),
            reposts=metrics.get("retweet_count"),
            replies=metrics.get("reply_count"),
            quotes=metrics.get("quote_count"),
        )

    def upload_image(self, draft: Draft) -> str | None:
        """With `photo = true`, upload the share image and describe it with the post's alt
        text: https://docs.x.com/x-api/media/upload-media, then /2/media/metadata."""
        if not self.channel.photo or draft.thumbnail is None:
            return None
        data, media_type = draft.thumbnail
        extension = "jpg" if media_type == "image/jpeg" else "png"
        with nothing_posted():
            uploaded = self.authorised(
                "POST",
                "/2/media/upload",
                files={"media": (f"share.{extension}", data, media_type)},
                data={"media_category": "tweet_image", "media_type": media_type},
            ).json()
            media_id = str(uploaded["data"]["id"])
            alt = str(draft.extras.get("alt") or "")[:ALT_TEXT_LIMIT]
            if alt:
                self.authorised(
                    "POST",
                    "/2/media/metadata",
                    json={"id": media_id, "metadata": {"alt_text": {"text": alt}}},
                )
        return media_id

    def check(self) -> str:
        return f"@{self.authorised('GET', '/2/users/me').json()['data']['username']}"

    def delete(self, sent: SentPost) -> None:
        self.authorised("DELETE", f"/2/tweets/{sent.receipt.remote_id}")

    def find_sent(self, draft: Draft) -> Receipt | None:
        """The account's recent post that carries this draft's link, if there is one."""
        for post in self._recent("entities,created_at"):
            links = {u.get("expanded_url") for u in post.get("entities", {}).get("urls", [])}
            if draft.link in links or draft.link in post.get("text", ""):
                return self.receipt(str(post["id"]))
        return None

    def _recent(self, fields: str) -> list[dict[str, Any]]:
        """The account's newest posts, with the fields asked for."""
        me = self.authorised("GET", "/2/users/me").json()["data"]["id"]
        recent = self.authorised(
            "GET",
            f"/2/users/{me}/tweets",
            params={"max_results": RECENT_POSTS, "tweet.fields": fields},
        ).json()
        return list(recent.get("data", []))

    def receipt(self, post_id: str, status_code: int = 200) -> Receipt:
        return Receipt(status_code, post_id, f"https://x.com/i/web/status/{post_id}")

    def wait_signal(self, response: requests.Response) -> float | None:
        # https://docs.x.com/fundamentals/rate-limits: x-rate-limit-reset is epoch seconds.
        reset = response.headers.get("x-rate-limit-reset", "")
        if reset.isdigit():
            return max(0.0, int(reset) - time.time())
        return super().wait_signal(response)

    # OAuth 2.0 user tokens

    @property
    def rotates_tokens(self) -> bool:
        """A channel with a refresh token keeps its tokens fresh itself; one without uses the
        access token in `secret_env` as it is."""
        return bool(self.channel.refresh_token_env) or self.channel.oauth_tokens

    def authorised(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call with the user token. A 401 means X took nothing from this request, so with a
        refreshable token it is safe to refresh once and make the same call again."""
        token = self.bearer()
        try:
            return self.call(method, path, token, **kwargs)
        except DeliveryError as error:
            if error.status_code != 401 or not self.rotates_tokens or self.vault is None:
                raise
        token = self.vault.refresh(self.channel.name, stale=token, refresher=self.exchange)
        return self.call(method, path, token, **kwargs)

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        url = f"{(self.channel.url or API).rstrip('/')}{path}"
        headers = {"Authorization": f"Bearer {token}"}
        return self.request(method, url, headers=headers, **kwargs)

    def bearer(self) -> str:
        if not self.rotates_tokens:
            return self.token()
        if self.vault is None:
            raise DeliveryError("X's rotating tokens need the database", permanent=True)
        if self.channel.oauth_tokens:
            return self.stored_token()
        seed = Grant(self.channel.secret(), self.channel.refresh_token())
        try:
            return self.vault.access_token(self.channel.name, seed, self.exchange)
        except VaultClosed as exc:
            raise DeliveryError(str(exc), permanent=True, credentials=True) from exc
        except NoTokens as exc:
            raise DeliveryError(
                f"no OAuth tokens for channel {self.channel.name!r}: set the environment "
                f"variable named by refresh_token_env",
                permanent=True,
                credentials=True,
            ) from exc

    def renew(self, refresh_token: str) -> Grant:
        return self.exchange(refresh_token)

    def exchange(self, refresh_token: str) -> Grant:
        """Spend the refresh token on a new access token and a new refresh token."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.channel.client_id,
        }
        secret = self.channel.client_secret()
        auth = (self.channel.client_id, secret) if secret else None  # a confidential client
        url = f"{(self.channel.url or API).rstrip('/')}{TOKEN_PATH}"
        try:
            with nothing_posted():
                response = self.request("POST", url, data=form, auth=auth)
        except DeliveryError as error:
            if error.status_code in (400, 401):
                raise DeliveryError(
                    f"X refused the refresh token; authorise the app again: {error.message}",
                    permanent=True,
                    credentials=True,
                    status_code=error.status_code,
                ) from error
            raise
        answer = response.json()
        expires_in = answer.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        return Grant(answer["access_token"], answer.get("refresh_token", ""), expires_at)
