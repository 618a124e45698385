"""A Slack incoming webhook, its URL read from the variable `url_env` names."""

from __future__ import annotations

from typing import ClassVar

from syndicate.notifiers.base import Message, Notifier


class Slack(Notifier):
    kind: ClassVar[str] = "slack"

    def send(self, message: Message) -> None:
        text = f"*{message.subject}*\n{message.text}"
        self.post(self.target.target_url(), json={"text": text[:39_000]})
