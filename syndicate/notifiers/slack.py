"""A Slack incoming webhook, its URL read from the variable `url_env` names."""

from __future__ import annotations

from typing import ClassVar

from syndicate.notifiers.base import Message, Notifier


def slack_escaped(text: str) -> str:
    """Text Slack shows as typed: `<!channel>` or `<https://…|label>` in an article's title
    must not become a ping or a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(Notifier):
    kind: ClassVar[str] = "slack"

    def send(self, message: Message) -> None:
        text = f"*{slack_escaped(message.subject)}*\n{slack_escaped(message.text)}"
        self.post(self.target.target_url(), json={"text": text[:39_000]})
