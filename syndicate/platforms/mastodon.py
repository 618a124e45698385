"""Mastodon: the instance's limit in grapheme clusters, links 23 each, the content warning
counted too."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from syndicate.platforms.base import Draft, Limits, Platform
from syndicate.text import URL, grapheme_count

# https://github.com/mastodon/mastodon/blob/main/app/validators/status_length_validator.rb:
# a URL counts as 23 characters and a remote mention `@user@domain` as `@user`.
URL_LENGTH = 23
_REMOTE_MENTION = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")


class Mastodon(Platform):
    name = "mastodon"
    # https://docs.joinmastodon.org/user/posting/: 500 by default; instances may set more,
    # published as configuration.statuses.max_characters in GET /api/v2/instance.
    limits: ClassVar[Limits] = Limits(max_length=500, unit="characters")

    def measure(self, text: str) -> int:
        counted = URL.sub("x" * URL_LENGTH, text)
        counted = _REMOTE_MENTION.sub(r"\1", counted)
        return grapheme_count(self.channel.content_warning) + grapheme_count(counted)

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": draft.text, "visibility": self.channel.visibility}
        if draft.extras.get("language"):
            body["language"] = draft.extras["language"]
        if self.channel.content_warning:
            body["spoiler_text"] = self.channel.content_warning
        return body

    def finish(self, draft: Draft) -> Draft:
        language = (draft.extras.get("article") or {}).get("language")
        if language:
            draft.extras["language"] = language.split("-")[0].lower()
        return draft
