"""A generic webhook: the post as JSON, signed like our own inbound contract."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from syndicate import signatures
from syndicate.platforms.base import Draft, Limits, Platform, Receipt


class Webhook(Platform):
    name = "webhook"
    # Our own contract: receivers are other systems, not people, so the limit only guards size.
    limits: ClassVar[Limits] = Limits(max_length=10_000)

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {
            "type": "syndicate.post",
            "idempotency_key": idempotency_key,
            "channel": self.channel.name,
            "text": draft.text,
            "link": draft.link,
            "article": draft.extras.get("article", {}),
        }

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        body = json.dumps(self.payload(draft, idempotency_key), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        secret = self.channel.secret()
        if secret:
            headers[signatures.HEADER] = signatures.sign(body, secret.encode())
        response = self.request("POST", self.channel.url, data=body, headers=headers)
        return Receipt(status_code=response.status_code)
