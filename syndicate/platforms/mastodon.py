"""Mastodon: the instance's limit in grapheme clusters, links 23 each, the content warning
counted too."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
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
from syndicate.text import URL, grapheme_count

log = logging.getLogger(__name__)

# https://github.com/mastodon/mastodon/blob/main/app/validators/status_length_validator.rb:
# a URL counts as 23 characters and a remote mention `@user@domain` as `@user`.
URL_LENGTH = 23
_REMOTE_MENTION = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")
INSTANCE_TTL_SECONDS = 3600.0
INSTANCE_TIMEOUT = (3.0, 5.0)


@dataclass(frozen=True)
class InstanceLimits:
    max_characters: int = 500
    characters_reserved_per_url: int = URL_LENGTH


_instances: dict[str, tuple[float, InstanceLimits]] = {}


def instance_limits(session: requests.Session, base_url: str) -> InstanceLimits:
    """The instance's own limits from GET /api/v2/instance (Mastodon 4.0+), cached for an
    hour; the defaults when the instance cannot say."""
    cached = _instances.get(base_url)
    if cached and time.monotonic() - cached[0] < INSTANCE_TTL_SECONDS:
        return cached[1]
    limits = InstanceLimits()
    try:
        response = session.get(f"{base_url.rstrip('/')}/api/v2/instance", timeout=INSTANCE_TIMEOUT)
        statuses = response.json()["configuration"]["statuses"] if response.ok else {}
        limits = InstanceLimits(
            int(statuses.get("max_characters", limits.max_characters)),
            int(statuses.get("characters_reserved_per_url", limits.characters_reserved_per_url)),
        )
    except (requests.RequestException, ValueError, KeyError, TypeError):
        log.warning("could not read the limits of %s; using Mastodon's defaults", base_url)
    _instances[base_url] = (time.monotonic(), limits)
    return limits


class Mastodon(Platform):
    name = "mastodon"
    # https://docs.joinmastodon.org/user/posting/: 500 by default; instances may set more,
    # published as configuration.statuses.max_characters in GET /api/v2/instance.
    limits: ClassVar[Limits] = Limits(max_length=500, unit="characters")

    @property
    def instance(self) -> InstanceLimits:
        if self.channel.url:
            return instance_limits(self.session, self.channel.url)
        return InstanceLimits()

    @property
    def max_length(self) -> int:
        return self.channel.max_length or self.instance.max_characters

    def measure(self, text: str) -> int:
        counted = URL.sub("x" * self.instance.characters_reserved_per_url, text)
        counted = _REMOTE_MENTION.sub(r"\1", counted)
        return grapheme_count(self.channel.content_warning) + grapheme_count(counted)

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": draft.text, "visibility": self.channel.visibility}
        if draft.extras.get("language"):
            body["language"] = draft.extras["language"]
        if self.channel.content_warning:
            body["spoiler_text"] = self.channel.content_warning
        return body

    idempotent_sends = True  # Idempotency-Key: kept by the server for an hour
    can_delete = True

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        body = self.payload(draft, idempotency_key)
        media_id = self.upload_image(draft)
        if media_id:
            body["media_ids"] = [media_id]
        return self._post_status(body, idempotency_key)

    def _post_status(self, body: dict[str, Any], idempotency_key: str) -> Receipt:
        response = self.request(
            "POST",
            f"{self.channel.url.rstrip('/')}/api/v1/statuses",
            json=body,
            headers={"Authorization": f"Bearer {self.token()}", "Idempotency-Key": idempotency_key},
        )
        status = response.json()
        return Receipt(response.status_code, str(status["id"]), status.get("url"))

    can_reply = True
    can_thread = True
    reads_counts = True

    def counts(self, sent: SentPost) -> Counts:
        """https://docs.joinmastodon.org/entities/Status/: favourites, reblogs, replies (and
        quotes, from 4.4)."""
        status = self.request(
            "GET",
            f"{self.channel.url.rstrip('/')}/api/v1/statuses/{sent.receipt.remote_id}",
            headers={"Authorization": f"Bearer {self.token()}"},
        ).json()
        return Counts(
            likes=status.get("favourites_count"),
            reposts=status.get("reblogs_count"),
            replies=status.get("replies_count"),
            quotes=status.get("quotes_count"),
        )

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        body = {**self.payload(draft, idempotency_key), "in_reply_to_id": parent.receipt.remote_id}
        return self._post_status(body, idempotency_key)

    # Seconds to wait before each look at an upload the server is still processing.
    media_delays: ClassVar[tuple[float, ...]] = (0.5, 1, 2, 4, 8)

    def upload_image(self, draft: Draft) -> str | None:
        """With `photo = true`, upload the share image, described by the post's alt text, and
        return its media id. https://docs.joinmastodon.org/methods/media/#v2: a 202 means the
        server is still processing it, and a status cannot carry it until its `url` is set."""
        if not self.channel.photo or draft.thumbnail is None:
            return None
        data, media_type = draft.thumbnail
        title = str(
            draft.extras.get("alt") or (draft.extras.get("article") or {}).get("title") or ""
        )
        base = self.channel.url.rstrip("/")
        headers = {"Authorization": f"Bearer {self.token()}"}
        extension = "jpg" if media_type == "image/jpeg" else "png"
        with nothing_posted():
            response = self.request(
                "POST",
                f"{base}/api/v2/media",
                headers=headers,
                files={"file": (f"share.{extension}", data, media_type)},
                data={"description": title[:1500]},
            )
            media = response.json()
            for delay in self.media_delays:
                if media.get("url"):
                    return str(media["id"])
                time.sleep(delay)
                media = self.request(
                    "GET", f"{base}/api/v1/media/{media['id']}", headers=headers
                ).json()
        if media.get("url"):
            return str(media["id"])
        raise DeliveryError("Mastodon was still processing the share image; nothing was posted")

    def check(self) -> str:
        response = self.request(
            "GET",
            f"{self.channel.url.rstrip('/')}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        return f"@{response.json()['acct']}"

    can_edit = True

    def edit(self, sent: SentPost, draft: Draft) -> None:
        """https://docs.joinmastodon.org/methods/statuses/#edit: an edit replaces the whole
        status, so it carries the media the status has, each with its description."""
        status = self._status(sent)
        body = self.payload(draft, "")
        body.pop("visibility", None)  # an edit cannot change it
        media = status.get("media_attachments") or []
        if media:
            body["media_ids"] = [str(m["id"]) for m in media]
            body["media_attributes"] = [
                {"id": str(m["id"]), "description": m.get("description") or ""} for m in media
            ]
        self.request("PUT", self._status_url(sent), json=body, headers=self._auth())

    def delete(self, sent: SentPost) -> None:
        self.request("DELETE", self._status_url(sent), headers=self._auth())

    reads_posts = True

    def shows(self, sent: SentPost, draft: Draft) -> bool | None:
        # https://docs.joinmastodon.org/methods/statuses/#source: the text as it was written.
        try:
            with nothing_posted():
                source = self.request(
                    "GET", f"{self._status_url(sent)}/source", headers=self._auth()
                ).json()
        except DeliveryError as error:
            if error.status_code == 404:
                return None
            raise
        return bool(source.get("text") == draft.text)

    def _status(self, sent: SentPost) -> dict[str, Any]:
        with nothing_posted():
            status = self.request("GET", self._status_url(sent), headers=self._auth()).json()
        return status if isinstance(status, dict) else {}

    def _status_url(self, sent: SentPost) -> str:
        return f"{self.channel.url.rstrip('/')}/api/v1/statuses/{sent.receipt.remote_id}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def wait_signal(self, response: requests.Response) -> float | None:
        # https://docs.joinmastodon.org/api/rate-limits/
        return _iso_wait(response.headers.get("X-RateLimit-Reset")) or super().wait_signal(response)

    def finish(self, draft: Draft) -> Draft:
        language = (draft.extras.get("article") or {}).get("language")
        if language:
            draft.extras["language"] = language.split("-")[0].lower()
        return draft


def _iso_wait(value: str | None) -> float | None:
    """Mastodon's X-RateLimit-Reset is an ISO 8601 time, not a number of seconds."""
    if not value:
        return None
    try:
        reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (reset - datetime.now(UTC)).total_seconds())
