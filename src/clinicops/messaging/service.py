"""Queue messages in the caller's transaction; deliver them from the worker with retries and backoff."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops import jobs
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.messaging import repository
from clinicops.messaging.providers import (OutgoingMessage, PermanentSendError, TransientSendError, UnknownOutcome,
                                           WhatsAppProvider, get_provider)
from clinicops.messaging.templates import render

log = get_logger("clinicops.messaging")

BACKOFF_SECONDS = (10, 30, 120, 600, 1800)


async def stored_messages(session: AsyncSession, recipient: str | None = None) -> list:
    """The outbox as the console provider left it, newest first: one recipient's, or the most recent of all
    (development's stand-in for a phone)."""
    if recipient is not None:
        return await repository.for_recipient(session, recipient)
    return await repository.recent(session)


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])


async def queue_message(session: AsyncSession, *, template: str, recipient: str, params: dict,
                        organization_id: int | None = None, recipient_name: str | None = None,
                        dedupe_key: str | None = None, appointment_id: int | None = None,
                        patient_id: int | None = None) -> int | None:
    """Write a WhatsApp message to the outbox in the current transaction.

    ``dedupe_key`` makes the message happen at most once (a reminder per appointment, say). Returns the
    outbox id, or None when a message with that key already exists.
    """
    body = render(template, params)
    message_id = await repository.insert_message(session, {
        "organization_id": organization_id, "channel": "WHATSAPP", "template": template, "recipient": recipient,
        "recipient_name": recipient_name, "params": params, "body": body, "dedupe_key": dedupe_key,
        "appointment_id": appointment_id, "patient_id": patient_id,
    })
    if message_id is not None:
        jobs.enqueue(session, "messaging.deliver_outbox")
    return message_id


async def deliver_due(session_factory, *, provider: WhatsAppProvider | None = None, limit: int = 20) -> int:
    """Send due messages one at a time, until none is due or ``limit`` were attempted; returns how many were.

    Each message is claimed in its own short transaction (locked with SKIP LOCKED, so concurrent workers take
    different rows; marked SENDING, attempt counted, committed) just before its send, and its outcome is stored
    in a second one. The claim commits before the network call, so a crash mid-send leaves that one row SENDING
    (the sweep parks it as UNKNOWN), never QUEUED: a message whose outcome is unknown is not blindly resent.
    Every other due message is still QUEUED, for this worker's next turn or any other worker.
    """
    provider = provider or get_provider()
    attempted = 0
    while attempted < limit:
        async with session_factory() as session:
            claimed = await repository.claim_next(session, now=utcnow())
            if claimed is None:
                break
            outgoing = OutgoingMessage(id=claimed.id, recipient=claimed.recipient,
                                       recipient_name=claimed.recipient_name, template=claimed.template,
                                       params=dict(claimed.params or {}), body=claimed.body,
                                       attempt=claimed.attempts)
            max_attempts = claimed.max_attempts
        attempted += 1
        status, fields = await _send_one(provider, outgoing, max_attempts)
        async with session_factory() as session:
            await repository.record_outcome(session, outgoing.id, status=status, fields=fields)
    return attempted


async def _send_one(provider: WhatsAppProvider, outgoing: OutgoingMessage, max_attempts: int) -> tuple[str, dict]:
    try:
        result = await provider.send(outgoing)
    except TransientSendError as exc:
        if outgoing.attempt >= max_attempts:
            log.warning("whatsapp_failed", message_id=outgoing.id, attempts=outgoing.attempt, error=str(exc))
            return "FAILED", {"last_error": str(exc)[:500]}
        log.info("whatsapp_retry", message_id=outgoing.id, attempt=outgoing.attempt, error=str(exc))
        return "QUEUED", {"last_error": str(exc)[:500], "next_attempt_at": utcnow() + backoff(outgoing.attempt)}
    except PermanentSendError as exc:
        log.warning("whatsapp_rejected", message_id=outgoing.id, error=str(exc))
        return "FAILED", {"last_error": str(exc)[:500]}
    except UnknownOutcome as exc:
        log.warning("whatsapp_unknown_outcome", message_id=outgoing.id, error=str(exc))
        return "UNKNOWN", {"last_error": str(exc)[:500]}
    except Exception as exc:  # a bug in an adapter must not lose the message: park it for a human to look at
        log.exception("whatsapp_adapter_error", message_id=outgoing.id)
        return "UNKNOWN", {"last_error": f"{type(exc).__name__}: {exc}"[:500]}
    return "SENT", {"provider": result.provider, "provider_message_id": result.provider_message_id,
                    "sent_at": utcnow(), "last_error": None}
