"""E-mail over SMTP with the standard library, in a thread (smtplib blocks)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from infra.settings import Settings


class SmtpNotConfigured(RuntimeError):
    """No SMTP server configured: notification jobs fail (and end in dead letters)."""


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_from
        self.timeout_s = settings.smtp_timeout_s

    async def send(self, recipient: str, subject: str, body: str, message_id: str) -> None:
        if not self.host:
            raise SmtpNotConfigured("VERACHAIN_SMTP_HOST is not set: cannot send e-mail")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        # The job id as Message-ID: should an e-mail go out twice (a crash between the
        # server's accept and the outbox update), mail clients can recognise the copy.
        message["Message-ID"] = f"<{message_id}@verachain>"
        message.set_content(body)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        assert self.host is not None
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as client:
            client.send_message(message)
