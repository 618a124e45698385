"""A Discord incoming webhook on loopback, as far as the webhook documents it: a message is
executed with `?wait=true` and then read, edited and deleted by its id.
https://discord.com/developers/docs/resources/webhook"""

from __future__ import annotations

import json
import re
import threading
import time
from itertools import count
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.receiver import Received, Receiver

HOOK = "/api/webhooks/1234/hook-token"
MESSAGE = re.compile(rf"^{re.escape(HOOK)}/messages/(\d+)$")


class FakeDiscord:
    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.ids = count(1_300_000_000_000_000_001)
        self.lock = threading.Lock()
        # Seconds to wait after making the next change before answering (an answer lost).
        self.answer_late_by = 0.0
        self.receiver = Receiver(self.answer).start()

    @property
    def webhook_url(self) -> str:
        return f"{self.receiver.url}{HOOK}"

    def calls(self, method: str) -> list[Received]:
        return [r for r in self.receiver.received() if r.method == method]

    def answer(self, request: Received) -> tuple[int, bytes]:
        answer = self.apply(request)
        if request.method != "GET" and self.answer_late_by:
            delay, self.answer_late_by = self.answer_late_by, 0.0
            time.sleep(delay)
        return answer

    def apply(self, request: Received) -> tuple[int, bytes]:
        path = urlsplit(request.path).path
        with self.lock:
            if path == HOOK and request.method == "POST":
                message_id = str(next(self.ids))
                self.messages[message_id] = {"id": message_id, **request.json()}
                return 200, json.dumps(self.messages[message_id]).encode()
            found = MESSAGE.match(path)
            message = self.messages.get(found.group(1)) if found else None
            if message is None:
                return 404, b'{"message": "Unknown Message", "code": 10008}'
            if request.method == "PATCH":
                message.update(request.json())
            elif request.method == "DELETE":
                del self.messages[message["id"]]
                return 204, b""
            return 200, json.dumps(message).encode()

    def stop(self) -> None:
        self.receiver.stop()
