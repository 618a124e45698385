"""Email over SMTP (SYNDICATE_SMTP_URL): plain text, one message to every address in `to`."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from syndicate.notifiers.base import Message, Notifier, NotifyError


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for every attempt at one notification, so mail clients that see a
    repeat can tell."""
    domain = sender.rpartition("@")[2] or "syndicate.invalid"
    safe = "".join(c if c.isalnum() or c in ".-" else "-" for c in key)
    return f"<{safe}@{domain}>"


class Email(Notifier):
    kind: ClassVar[str] = "email"

    def send(self, message: Message) -> None:
        if not self.smtp_url:
            raise NotifyError(f"{self.target.name}: SYNDICATE_SMTP_URL is not set", permanent=True)
        mail = EmailMessage()
        mail["From"] = self.target.sender
        mail["To"] = ", ".join(self.target.to)
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id(message.key, self.target.sender)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text)
        try:
            with self._connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            refused = f"{self.target.name}: the SMTP login was refused"
            raise NotifyError(refused, permanent=True) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifyError(f"{self.target.name}: recipients refused", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifyError(f"{self.target.name}: SMTP {type(exc).__name__}") from exc

    def _connect(self) -> smtplib.SMTP:
        url = urlsplit(self.smtp_url)
        timeout = self.target.timeout_seconds
        host = url.hostname or "127.0.0.1"
        if url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, url.port or 25, timeout=timeout)
            starttls = parse_qs(url.query).get("starttls", [""])[0].lower() in ("1", "true")
            if starttls or url.port == 587:
                smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        return smtp
