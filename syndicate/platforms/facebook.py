"""A Facebook Page: a message, and the link beside it (Facebook builds the card from the
page's Open Graph tags)."""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from syndicate.platforms.base import Draft, Limits, Platform, Receipt, SentPost
from syndicate.platforms.graph import raise_for_graph_error, usage_wait

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
