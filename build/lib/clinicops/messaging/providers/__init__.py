"""WhatsApp providers: one interface, a real adapter per vendor and the offline ``console`` stand-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    recipient: str  # E.164
    recipient_name: str | None
    template: str
    params: dict
    body: str
    attempt: int = 1
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str | None


class TransientSendError(Exception):
    """The provider did not take the message (connection refused, 429, 5xx before acceptance): retry later."""


class PermanentSendError(Exception):
    """The provider refused the message for good (bad number, bad template): do not retry."""


class UnknownOutcome(Exception):
    """The request may have been accepted (timeout after sending): do not blindly resend."""


class WhatsAppProvider(Protocol):
    name: str

    async def send(self, message: OutgoingMessage) -> SendResult: ...


def get_provider(name: str | None = None) -> WhatsAppProvider:
    from clinicops.config import get_settings

    settings = get_settings()
    chosen = name or settings.whatsapp_provider
    if chosen == "console":
        from clinicops.messaging.providers.console import ConsoleProvider

        return ConsoleProvider()
    if chosen == "gallabox":
        from clinicops.messaging.providers.gallabox import GallaboxProvider

        return GallaboxProvider(settings)
    if chosen == "meta":
        from clinicops.messaging.providers.meta import MetaProvider

        return MetaProvider(settings)
    raise ValueError(f"unknown WhatsApp provider {chosen!r}")
