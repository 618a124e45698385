"""A Slack incoming webhook: a plain-text fallback and blocks with the post and its link."""

from __future__ import annotations

from typing import Any, ClassVar

from syndicate.platforms.base import Draft, Limits, Platform, Receipt

# https://api.slack.com/reference/block-kit/blocks#section: section text is at most 3000.
SECTION_TEXT = 3000


def escape_mrkdwn(text: str) -> str:
    # https://api.slack.com/reference/surfaces/formatting#escaping
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(Platform):
    name = "slack"
    limits: ClassVar[Limits] = Limits(max_length=SECTION_TEXT, unit="characters")

    def escape(self, text: str) -> str:
        return escape_mrkdwn(text)

    def finish(self, draft: Draft) -> Draft:
        section: dict[str, Any] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": draft.text},
        }
        image = (draft.extras.get("article") or {}).get("image")
        if image:
            section["accessory"] = {
                "type": "image",
                "image_url": image["url"],
                "alt_text": image.get("alt") or "article image",
            }
        draft.extras["blocks"] = [section]
        return draft

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"text": draft.text, "blocks": draft.extras.get("blocks", []), "unfurl_links": True}

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        # The incoming-webhook URL is the credential, so it comes from the environment.
        response = self.request("POST", self.token(), json=self.payload(draft, idempotency_key))
        return Receipt(response.status_code)
