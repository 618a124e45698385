"""Telegram: HTML parse mode; 4096 characters after entity parsing, 1024 for a photo caption."""

from __future__ import annotations

import html
import re
from typing import Any, ClassVar

import requests

from syndicate.platforms.base import DeliveryError, Draft, Limits, Platform, Receipt, SentPost
from syndicate.platforms.telegram_html import safe_html
from syndicate.text import utf16_length

# https://core.telegram.org/bots/api#formatting-options: only <, > and & must be escaped,
# and only &lt; &gt; &amp; &quot; and numeric entities are understood.
_TAG = re.compile(r"<[^>]*>")
CAPTION_LIMIT = 1024
API = "https://api.telegram.org"


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Telegram(Platform):
    name = "telegram"
    limits: ClassVar[Limits] = Limits(max_length=4096, unit="characters")

    @property
    def max_length(self) -> int:
        if self.channel.photo:
            return self.channel.max_length or CAPTION_LIMIT
        return super().max_length

    def measure(self, text: str) -> int:
        # Telegram counts the text left after parsing entities, in UTF-16 code units.
        return utf16_length(html.unescape(_TAG.sub("", text)))

    def escape(self, text: str) -> str:
        return escape_html(text)

    def edited_text(self, text: str) -> str:
        return safe_html(text)

    can_delete = True

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        image = (draft.extras.get("article") or {}).get("image")
        if self.channel.photo and image:
            return {
                "chat_id": self.channel.target,
                "photo": image["url"],
                "caption": self.caption(draft),
                "parse_mode": "HTML",
            }
        return {
            "chat_id": self.channel.target,
            "text": draft.text,
            "parse_mode": "HTML",
            "link_preview_options": {"url": draft.link, "prefer_large_media": True},
        }

    def caption(self, draft: Draft) -> str:
        """The post's text, and, since Telegram photos take no alt text, the image's
        description in a collapsed quote under it when there is room and the text does not
        already say it."""
        alt = str(draft.extras.get("alt") or "").strip()
        if not alt or alt in html.unescape(_TAG.sub("", draft.text)):
            return draft.text
        described = f"{draft.text}\n<blockquote expandable>Image: {escape_html(alt)}</blockquote>"
        return described if self.measure(described) <= self.max_length else draft.text

    def _method(self, name: str) -> str:
        # The bot token is part of the URL: https://core.telegram.org/bots/api#making-requests
        return f"{(self.channel.url or API).rstrip('/')}/bot{self.token()}/{name}"

    def check(self) -> str:
        # https://core.telegram.org/bots/api#getme and #getchat: the bot, and that it can see
        # the chat it posts to.
        bot = self.request("POST", self._method("getMe"), json={}).json()["result"]
        chat = self.request(
            "POST", self._method("getChat"), json={"chat_id": self.channel.target}
        ).json()["result"]
        title = chat.get("title") or self.channel.target
        # https://core.telegram.org/bots/api#getchatmember: what the bot may do there.
        member = self.request(
            "POST",
            self._method("getChatMember"),
            json={"chat_id": self.channel.target, "user_id": bot["id"]},
        ).json()["result"]
        if not _may_post(chat.get("type", ""), member):
            raise DeliveryError(
                f"Telegram: the bot may not post in {title}; make it an administrator "
                "allowed to post messages",
                permanent=True,
                credentials=True,
            )
        return f"@{bot.get('username')} in {title}"

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        body = self.payload(draft, idempotency_key)
        method = "sendPhoto" if "photo" in body else "sendMessage"
        result = self.request("POST", self._method(method), json=body).json()["result"]
        chat, message_id = self.channel.target, result["message_id"]
        url = f"https://t.me/{chat[1:]}/{message_id}" if chat.startswith("@") else None
        return Receipt(200, f"{message_id}", url)

    can_edit = True

    def edit(self, sent: SentPost, draft: Draft) -> None:
        # https://core.telegram.org/bots/api#editmessagetext (#editmessagecaption for photos)
        message = self.payload(draft, "")
        common = {"chat_id": self.channel.target, "message_id": _message_id(sent.receipt)}
        if "photo" in message:
            method = "editMessageCaption"
            body = {"caption": message["caption"], "parse_mode": "HTML"}
        else:
            method = "editMessageText"
            body = {k: message[k] for k in ("text", "parse_mode", "link_preview_options")}
        try:
            self.request("POST", self._method(method), json={**common, **body})
        except DeliveryError as error:
            # Telegram refuses an edit that changes nothing; the post already says this.
            if "message is not modified" not in error.message:
                raise

    def delete(self, sent: SentPost) -> None:
        self.request(
            "POST",
            self._method("deleteMessage"),
            # https://core.telegram.org/bots/api#deletemessage
            json={"chat_id": self.channel.target, "message_id": _message_id(sent.receipt)},
        )

    def already_gone(self, error: DeliveryError) -> bool:
        return super().already_gone(error) or "message to delete not found" in error.message

    def raise_for_response(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = {}
        description = body.get("description") or response.reason
        # Telegram's wait is in the body: {"parameters": {"retry_after": seconds}}.
        wait = (body.get("parameters") or {}).get("retry_after")
        code = response.status_code
        if code == 429 or code >= 500:
            raise DeliveryError(
                f"Telegram: {description}",
                status_code=code,
                retry_after=float(wait) if wait is not None else None,
            )
        raise DeliveryError(
            f"Telegram: {description}",
            permanent=True,
            status_code=code,
            credentials=code in (401, 403),
        )


def _may_post(chat_type: str, member: dict[str, Any]) -> bool:
    """Whether a chat member of this standing can post: in a channel, only its creator or an
    administrator with can_post_messages; in a group, anyone not restricted from sending."""
    status = member.get("status")
    if status == "creator":
        return True
    if chat_type == "channel":
        return status == "administrator" and bool(member.get("can_post_messages"))
    if status == "restricted":
        return bool(member.get("can_send_messages"))
    return status in ("administrator", "member")


def _message_id(receipt: Receipt) -> int | str:
    """The Bot API's message ids are integers; receipts keep them as text."""
    remote = str(receipt.remote_id)
    return int(remote) if remote.isdigit() else remote
