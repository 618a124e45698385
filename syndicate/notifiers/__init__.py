"""Where the social desk hears about what needs it, one module per kind of target."""

from __future__ import annotations

from syndicate.notifiers.base import EVENTS, Message, Notifier, NotifyError, TargetOptions
from syndicate.notifiers.email import Email
from syndicate.notifiers.slack import Slack
from syndicate.notifiers.webhook import Webhook

NOTIFIERS: dict[str, type[Notifier]] = {n.kind: n for n in (Email, Slack, Webhook)}

__all__ = ["EVENTS", "NOTIFIERS", "Message", "Notifier", "NotifyError", "TargetOptions"]
