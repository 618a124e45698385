"""Threads: 500 characters where an emoji counts as its UTF-8 bytes, and at most 5 links."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests

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
from syndicate.platforms.graph import raise_for_graph_error, usage_wait
from syndicate.platforms.options import Grant
from syndicate.text import graphemes, is_emoji, same_words, urls, utf8_length

API = "https://graph.threads.net/v1.0"

# https://developers.facebook.com/docs/threads/posts: "Emojis are counted as the number of
# UTF-8 bytes"; https://developers.facebook.com/docs/threads/create-posts/text-attachments
MAX_LINKS = 5


class Threads(Platform):
    name = "threads"
    limits: ClassVar[Limits] = Limits(max_length=500, unit="characters")
    can_delete = True

    def mention(self, name: str, handle: str) -> str:
        return "@" + handle.strip().lstrip("@")

    def measure(self, text: str) -> int:
        return sum(utf8_length(c) if is_emoji(c) else len(c) for c in graphemes(text))

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        links = {draft.text[start:end] for start, end in urls(draft.text)}
        if len(links) > MAX_LINKS:
            found.append(f"{len(links)} different links; Threads allows {MAX_LINKS}")
        return found

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"media_type": "TEXT", "text": draft.text, "link_attachment": draft.link}

    def _url(self, path: str) -> str:
        return f"{(self.channel.url or API).rstrip('/')}{path}"

    def check(self) -> str:
        response = self.request(
            "GET",
            self._url(f"/{self.channel.target}"),
            params={"fields": "id,username", "access_token": self.token()},
        )
        return f"@{response.json().get('username') or response.json()['id']}"

    # Seconds to wait before each look at a container's status: about half a minute in all.
    status_delays: ClassVar[tuple[float, ...]] = (0, 1, 2, 4, 8, 15)

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        return self._publish(self.payload(draft, idempotency_key))

    can_reply = True
    can_thread = True
    finds_own_replies = True

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        # https://developers.facebook.com/docs/threads/reply-management: a reply is a post
        # whose container names `reply_to_id`; the link card stays on the post it answers.
        return self._publish(
            {"media_type": "TEXT", "text": draft.text, "reply_to_id": parent.receipt.remote_id}
        )

    def find_reply(self, parent: SentPost, draft: Draft) -> Receipt | None:
        # GET /{media-id}/replies: the top-level replies, each saying whether it is ours.
        replies = self.request(
            "GET",
            self._url(f"/{parent.receipt.remote_id}/replies"),
            params={
                "fields": "id,text,permalink,is_reply_owned_by_me",
                "access_token": self.token(),
            },
        ).json()
        for post in replies.get("data", []):
            if post.get("is_reply_owned_by_me") and same_words(post.get("text") or "", draft.text):
                return Receipt(200, str(post["id"]), post.get("permalink"))
        return None

    reads_counts = True

    def counts(self, sent: SentPost) -> Counts:
        # https://developers.facebook.com/docs/threads/insights: a media object's lifetime
        # likes, replies, reposts and quotes.
        found = self.request(
            "GET",
            self._url(f"/{sent.receipt.remote_id}/insights"),
            params={"metric": "likes,replies,reposts,quotes", "access_token": self.token()},
        ).json()
        values = {
            metric.get("name"): (metric.get("values") or [{}])[0].get("value")
            for metric in found.get("data", [])
        }
        return Counts(
            likes=values.get("likes"),
            reposts=values.get("reposts"),
            replies=values.get("replies"),
            quotes=values.get("quotes"),
        )

    def _publish(self, fields: dict[str, Any]) -> Receipt:
        # https://developers.facebook.com/docs/threads/posts: create a container, wait until
        # it is ready, publish it.
        token, user = self.token(), self.channel.target
        body = {**fields, "access_token": token}
        # A container is not a post: until the publish call, a lost answer posted nothing.
        with nothing_posted():
            created = self.request("POST", self._url(f"/{user}/threads"), data=body)
            container = str(created.json()["id"])
            self._wait_until_ready(container, token)
        published = self.request(
            "POST",
            self._url(f"/{user}/threads_publish"),
            data={"creation_id": container, "access_token": token},
        )
        media_id = str(published.json()["id"])
        return Receipt(published.status_code, media_id, self._permalink(media_id, token))

    finds_own_posts = True

    def find_sent(self, draft: Draft) -> Receipt | None:
        # https://developers.facebook.com/docs/threads/threads-media#retrieve-a-list-of-all-a-user-s-threads
        recent = self.request(
            "GET",
            self._url(f"/{self.channel.target}/threads"),
            params={"fields": "id,text,permalink", "limit": 25, "access_token": self.token()},
        ).json()
        for post in recent.get("data", []):
            if draft.link and draft.link in (post.get("text") or ""):
                return Receipt(200, str(post["id"]), post.get("permalink"))
        return None

    def _wait_until_ready(self, container: str, token: str) -> None:
        """https://developers.facebook.com/docs/threads/troubleshooting: a container's status
        is IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED."""
        for delay in self.status_delays:
            time.sleep(delay)
            found = self.request(
                "GET",
                self._url(f"/{container}"),
                params={"fields": "status,error_message", "access_token": token},
            ).json()
            status = found.get("status")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                reason = found.get("error_message") or status.lower()
                raise DeliveryError(f"Threads could not prepare the post: {reason}", permanent=True)
        # Nothing was published, so trying again later cannot post twice.
        raise DeliveryError(
            "Threads was still preparing the post after 30 s; nothing was published"
        )

    def _permalink(self, media_id: str, token: str) -> str | None:
        try:
            found = self.request(
                "GET",
                self._url(f"/{media_id}"),
                params={"fields": "permalink", "access_token": token},
            ).json()
        except (DeliveryError, ValueError):
            return None  # the post is out; only its link is unknown
        return str(found["permalink"]) if found.get("permalink") else None

    def delete(self, sent: SentPost) -> None:
        # https://developers.facebook.com/docs/threads/posts/delete-posts (needs the
        # threads_delete permission; 100 deletions a day per account).
        self.request(
            "DELETE", self._url(f"/{sent.receipt.remote_id}"), params={"access_token": self.token()}
        )

    # A long-lived token lasts 60 days and may be renewed once it is a day old: a week ahead.
    refresh_margin: ClassVar[timedelta] = timedelta(days=7)

    def renew(self, refresh_token: str) -> Grant:
        """https://developers.facebook.com/docs/threads/get-started/long-lived-tokens: a
        long-lived token is exchanged for a fresh one (`th_refresh_token`)."""
        host = (self.channel.url or API).rstrip("/").rsplit("/v1.0", 1)[0]
        with nothing_posted():
            answer = self.request(
                "GET",
                f"{host}/refresh_access_token",
                params={"grant_type": "th_refresh_token", "access_token": refresh_token},
            ).json()
        expires_in = answer.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        fresh = str(answer["access_token"])
        return Grant(fresh, fresh, expires_at)

    def raise_for_response(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        if not raise_for_graph_error(response, "Threads"):
            super().raise_for_response(response)

    def wait_signal(self, response: requests.Response) -> float | None:
        return usage_wait(response)
