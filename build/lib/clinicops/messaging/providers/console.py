"""Offline stand-in: the outbox row is the stored message; /api/dev/messages shows it."""

from __future__ import annotations

from clinicops.logging import get_logger
from clinicops.messaging.providers import OutgoingMessage, SendResult

log = get_logger("clinicops.messaging.console")


class ConsoleProvider:
    name = "console"

    async def send(self, message: OutgoingMessage) -> SendResult:
        # Logged without the body: it may carry an OTP, and logs never hold one.
        log.info("whatsapp_console_send", to=message.recipient, template=message.template, message_id=message.id)
        return SendResult(provider=self.name, provider_message_id=f"console-{message.id}")
