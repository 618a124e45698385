"""A URL of the newsroom's own: a signed JSON body (Syndicate-Signature, with the target's
secret), the same Idempotency-Key on every attempt."""

from __future__ import annotations

import json
from typing import ClassVar

from syndicate import signatures
from syndicate.notifiers.base import Message, Notifier


class Webhook(Notifier):
    kind: ClassVar[str] = "webhook"
    idempotent: ClassVar[bool] = True

    def send(self, message: Message) -> None:
        body = json.dumps(
            {
                "id": message.key,
                "event": message.event,
                "subject": message.subject,
                "text": message.text,
                "data": message.data,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.key}
        if secret := self.target.secret():
            headers[signatures.HEADER] = signatures.sign(body, secret.encode())
        self.post(self.target.target_url(), data=body, headers=headers)
