"""A generic webhook: the post as JSON, signed like our own inbound contract. A receiver hears
of the post once (`post.created`) and, where the channel asks, of its edits (`post.updated`)
and deletion (`post.deleted`); every event names the post by the key it was first sent under."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from syndicate import signatures
from syndicate.platforms.base import Draft, Limits, Platform, Receipt, SentPost


class Webhook(Platform):
    name = "webhook"
    # Our own contract: receivers are other systems, not people, so the limit only guards size.
    limits: ClassVar[Limits] = Limits(max_length=10_000)
    can_edit = True
    can_delete = True

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return self._event("post.created", idempotency_key, idempotency_key, draft)

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        return self._post(self.payload(draft, idempotency_key), idempotency_key)

    def edit(self, sent: SentPost, draft: Draft) -> None:
        self._post(
            self._event("post.updated", sent.post_key, sent.change_key, draft), sent.change_key
        )

    def delete(self, sent: SentPost) -> None:
        event = self._event("post.deleted", sent.post_key, sent.change_key, sent.draft)
        del event["text"]
        self._post(event, sent.change_key)

    def _event(
        self, event: str, post_key: str, idempotency_key: str, draft: Draft
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "syndicate.post",
            "event": event,
            "id": post_key,
            "idempotency_key": idempotency_key,
            "channel": self.channel.name,
        }
        if draft is not None:
            body.update(text=draft.text, link=draft.link, article=draft.extras.get("article", {}))
        return body

    def _post(self, payload: dict[str, Any], idempotency_key: str) -> Receipt:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        secret = self.channel.secret()
        if secret:
            headers[signatures.HEADER] = signatures.sign(body, secret.encode())
        response = self.request("POST", self.channel.url, data=body, headers=headers)
        return Receipt(status_code=response.status_code)
