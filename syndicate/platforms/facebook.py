"""A Facebook Page: a message, and the link beside it (Facebook builds the card from the
page's Open Graph tags)."""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from syndicate.platforms.base import Counts, Draft, Limits, Platform, Receipt, SentPost
from syndicate.platforms.graph import raise_for_graph_error, usage_wait
from syndicate.text import same_words

API = "https://graph.facebook.com/v21.0"


class Facebook(Platform):
    name = "facebook"
    # https://developers.facebook.com/docs/pages-api/posts names no limit; 63,206 is the
    # figure third parties quote.
    limits: ClassVar[Limits] = Limits(max_length=63_206, unit="characters")
    link_travels_separately = True

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"message": draft.text, "link": draft.link}

    can_delete = True

    def _url(self, path: str) -> str:
        return f"{(self.channel.url or API).rstrip('/')}{path}"

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        data = {**self.payload(draft, idempotency_key), "access_token": self.token()}
        response = self.request("POST", self._url(f"/{self.channel.target}/feed"), data=data)
        post_id = str(response.json()["id"])
        return Receipt(response.status_code, post_id, f"https://www.facebook.com/{post_id}")

    def check(self) -> str:
        response = self.request(
            "GET",
            self._url(f"/{self.channel.target}"),
            params={"fields": "id,name", "access_token": self.token()},
        )
        return str(response.json().get("name") or response.json()["id"])

    finds_own_posts = True

    def find_sent(self, draft: Draft) -> Receipt | None:
        # https://developers.facebook.com/docs/graph-api/reference/page/feed/#read: the Page's
        # recent posts, with the link each one shares in its attachment.
        recent = self.request(
            "GET",
            self._url(f"/{self.channel.target}/feed"),
            params={
                "fields": "id,message,permalink_url,attachments{unshimmed_url}",
                "limit": 25,
                "access_token": self.token(),
            },
        ).json()
        for post in recent.get("data", []):
            shared = {a.get("unshimmed_url") for a in post.get("attachments", {}).get("data", [])}
            if draft.link in shared or draft.link in (post.get("message") or ""):
                post_id = str(post["id"])
                url = post.get("permalink_url") or f"https://www.facebook.com/{post_id}"
                return Receipt(200, post_id, url)
        return None

    can_reply = True
    finds_own_replies = True

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        # https://developers.facebook.com/docs/graph-api/reference/object/comments: the Page
        # comments on its own post.
        response = self.request(
            "POST",
            self._url(f"/{parent.receipt.remote_id}/comments"),
            data={"message": draft.text, "access_token": self.token()},
        )
        comment_id = str(response.json()["id"])
        return Receipt(response.status_code, comment_id, f"https://www.facebook.com/{comment_id}")

    def find_reply(self, parent: SentPost, draft: Draft) -> Receipt | None:
        found = self.request(
            "GET",
            self._url(f"/{parent.receipt.remote_id}/comments"),
            params={"fields": "id,message,from", "limit": 50, "access_token": self.token()},
        ).json()
        for comment in found.get("data", []):
            by_page = (comment.get("from") or {}).get("id") == self.channel.target
            if by_page and same_words(comment.get("message") or "", draft.text):
                comment_id = str(comment["id"])
                return Receipt(200, comment_id, f"https://www.facebook.com/{comment_id}")
        return None

    reads_counts = True

    def counts(self, sent: SentPost) -> Counts:
        # https://developers.facebook.com/docs/graph-api/reference/post: reactions and
        # comments by their summaries, and shares (absent until the first).
        found = self.request(
            "GET",
            self._url(f"/{sent.receipt.remote_id}"),
            params={
                "fields": "reactions.summary(total_count).limit(0),"
                "comments.summary(total_count).limit(0),shares",
                "access_token": self.token(),
            },
        ).json()
        return Counts(
            likes=((found.get("reactions") or {}).get("summary") or {}).get("total_count"),
            replies=((found.get("comments") or {}).get("summary") or {}).get("total_count"),
            reposts=(found.get("shares") or {}).get("count", 0),
        )

    can_edit = True

    def edit(self, sent: SentPost, draft: Draft) -> None:
        # https://developers.facebook.com/docs/graph-api/reference/page-post/#updating
        self.request(
            "POST",
            self._url(f"/{sent.receipt.remote_id}"),
            data={"message": draft.text, "access_token": self.token()},
        )

    def delete(self, sent: SentPost) -> None:
        self.request(
            "DELETE", self._url(f"/{sent.receipt.remote_id}"), params={"access_token": self.token()}
        )

    def raise_for_response(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        if not raise_for_graph_error(response, "Facebook"):
            super().raise_for_response(response)

    def wait_signal(self, response: requests.Response) -> float | None:
        return usage_wait(response)
