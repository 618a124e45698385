"""A Discord webhook: content of at most 2000 characters and one embed within embed limits."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from syndicate.platforms.base import (
    DeliveryError,
    Draft,
    Limits,
    Platform,
    Receipt,
    SentPost,
    nothing_posted,
)
from syndicate.text import longest_fitting

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
EMBED_TITLE, EMBED_DESCRIPTION, EMBED_TOTAL = 256, 4096, 6000


def _fit(text: str, limit: int) -> str:
    return longest_fitting(text, lambda t: len(t) <= limit) or text[: limit - 1] + "…"


class Discord(Platform):
    name = "discord"
    limits: ClassVar[Limits] = Limits(max_length=2000, unit="characters")

    def finish(self, draft: Draft) -> Draft:
        article = draft.extras.get("article") or {}
        title = _fit(article.get("title", ""), EMBED_TITLE)
        description = _fit(
            article.get("summary", ""), min(EMBED_DESCRIPTION, EMBED_TOTAL - len(title))
        )
        embed: dict[str, Any] = {"title": title, "url": draft.link, "description": description}
        if article.get("image"):
            embed["image"] = {"url": article["image"]["url"]}
        draft.extras["embed"] = embed
        return draft

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        embed = draft.extras.get("embed") or {}
        total = len(embed.get("title", "")) + len(embed.get("description", ""))
        if total > EMBED_TOTAL:
            found.append(f"the embed holds {total} characters; Discord allows {EMBED_TOTAL}")
        return found

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        embeds = [draft.extras["embed"]] if draft.extras.get("embed") else []
        return {"content": draft.text, "embeds": embeds, "allowed_mentions": {"parse": []}}

    def check(self) -> str:
        # https://discord.com/developers/docs/resources/webhook#get-webhook-with-token
        hook = self.request("GET", self.token()).json()
        return f"webhook {hook.get('name', '')!s} in channel {hook.get('channel_id', '?')}"

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        # The webhook URL holds its token, so it comes from the environment like any secret.
        # ?wait=true makes Discord answer with the message, or an error if it was not saved.
        response = self.request(
            "POST", self.token(), params={"wait": "true"}, json=self.payload(draft, idempotency_key)
        )
        return Receipt(response.status_code, str(response.json().get("id", "")) or None)

    can_edit = True
    can_delete = True
    reads_posts = True

    def edit(self, sent: SentPost, draft: Draft) -> None:
        # https://discord.com/developers/docs/resources/webhook#edit-webhook-message
        self.request("PATCH", self._message_url(sent), json=self.payload(draft, ""))

    def delete(self, sent: SentPost) -> None:
        # https://discord.com/developers/docs/resources/webhook#delete-webhook-message
        self.request("DELETE", self._message_url(sent))

    def shows(self, sent: SentPost, draft: Draft) -> bool | None:
        # https://discord.com/developers/docs/resources/webhook#get-webhook-message
        try:
            with nothing_posted():
                message = self.request("GET", self._message_url(sent)).json()
        except DeliveryError as error:
            if error.status_code == 404:
                return None
            raise
        return bool(message.get("content") == draft.text)

    def _message_url(self, sent: SentPost) -> str:
        if not sent.receipt.remote_id:
            raise DeliveryError("Discord did not say which message it saved", permanent=True)
        hook = urlsplit(self.token())
        path = f"{hook.path.rstrip('/')}/messages/{quote(sent.receipt.remote_id, safe='')}"
        return urlunsplit(hook._replace(path=path))

    def wait_signal(self, response: requests.Response) -> float | None:
        try:  # https://discord.com/developers/docs/topics/rate-limits: retry_after, seconds
            return float(response.json()["retry_after"])
        except (ValueError, KeyError, TypeError):
            return super().wait_signal(response)
