"""Razorpay webhooks: verified over the raw body, stored once per event id, applied later by a job.

The request only checks the signature and stores the event (answering in milliseconds); the job
``payments.apply_webhook`` applies it. State changes are forward-only, so redeliveries and events arriving
out of order are harmless, and an amount that differs from what we asked for is recorded, never applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import get_settings
from clinicops.errors import AppError
from clinicops.jobs import enqueue
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.payments import links, refunds, repository, settlement
from clinicops.payments.exceptions import InvalidSignature
from clinicops.payments.models import Payment, WebhookEvent
from clinicops.payments.providers.base import (PaymentLink, ProviderPayment, link_from, payment_from,
                                               webhook_signature_valid)

log = get_logger("clinicops.payments.webhooks")
PROVIDER = "RAZORPAY"

# A payment link that is not a patient's payment (a clinic's subscription invoice) is applied by the domain that
# made it: it registers the prefix of the links' reference ids, so payments imports none of those domains.
# The handler gets the event kind, the link and its payment (if any); it returns why it did not apply, or None.
LinkOwner = Callable[[AsyncSession, str, PaymentLink, ProviderPayment | None], Awaitable[str | None]]
_link_owners: dict[str, LinkOwner] = {}


def link_owner(reference_prefix: str) -> Callable[[LinkOwner], LinkOwner]:
    """Register the handler of payment-link events whose reference id starts with ``reference_prefix``."""
    def register(handler: LinkOwner) -> LinkOwner:
        _link_owners[reference_prefix] = handler
        return handler

    return register


async def receive(session: AsyncSession, *, raw_body: bytes, signature: str | None,
                  event_id: str | None) -> bool:
    """Verify and store one delivery; True when it is a redelivery of an event already stored."""
    if not webhook_signature_valid(get_settings(), raw_body, signature):
        log.warning("webhook_signature_invalid")
        raise InvalidSignature("The webhook signature is not valid")
    try:
        payload = json.loads(raw_body)
    except ValueError:
        raise InvalidSignature("The webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidSignature("The webhook body is not an event")
    # Razorpay's header names the event; the body hash is the fallback (identical redeliveries collapse).
    key = (event_id or str(payload.get("id") or "") or "sha256:" + hashlib.sha256(raw_body).hexdigest())[:200]
    row_id = await repository.store_webhook_event(session, provider=PROVIDER, event_id=key,
                                                  event_type=str(payload.get("event") or "")[:100], payload=payload)
    if row_id is not None:
        enqueue(session, "payments.apply_webhook", webhook_event_id=row_id)
    return row_id is None


def _entity(payload: dict[str, Any], name: str) -> dict[str, Any] | None:
    entity = ((payload.get("payload") or {}).get(name) or {}).get("entity")
    return entity if isinstance(entity, dict) else None


async def apply(session: AsyncSession, event: WebhookEvent) -> str | None:
    """Apply one stored event; returns why it was not applied (kept on the row), or None."""
    kind = event.event_type or ""
    payload = event.payload or {}
    if kind in ("payment.captured", "payment.authorized", "order.paid", "payment.failed"):
        return await _apply_payment_event(session, kind, payload)
    if kind.startswith("payment_link."):
        return await _apply_link_event(session, kind, payload)
    if kind == "refund.processed":
        entity = _entity(payload, "refund")
        return await refunds.refund_processed(session, entity) if entity else "no refund entity"
    return f"ignored event {kind}"


def _amount_mismatch(payment: Payment, amount: int, currency: str) -> str | None:
    if amount != payment.amount_paise or currency.upper() != payment.currency:
        return f"amount mismatch: expected {payment.amount_paise} {payment.currency}, got {amount} {currency}"
    return None


async def _apply_payment_event(session: AsyncSession, kind: str, payload: dict[str, Any]) -> str | None:
    entity = _entity(payload, "payment")
    if entity is None:
        return "no payment entity"
    paid = payment_from(entity)
    order = _entity(payload, "order")
    order_id = paid.order_id or (order or {}).get("id")
    found = await repository.by_order_id(session, order_id) if order_id else None
    found = found or (await repository.by_provider_payment_id(session, paid.id) if paid.id else None)
    if found is None:
        return f"no payment for order {order_id}"
    payment, appointment = await settlement.lock(session, found)
    if kind == "payment.failed":
        settlement.mark_failed(payment, code=paid.error_code, reason=paid.error_description)
        return None
    mismatch = _amount_mismatch(payment, paid.amount_paise, paid.currency)
    if mismatch:
        settlement.add_note(payment, f"Webhook {kind} not applied: {mismatch}")
        return mismatch
    if kind == "payment.authorized" and paid.status != "captured":
        await settlement.mark_pending(payment, paid.id)
        return None
    await settlement.settle_paid(session, payment, appointment, provider_payment_id=paid.id,
                                 method=method_of(paid.method))
    return None


def method_of(method: str | None) -> str:
    return {"card": "CARD", "upi": "UPI", "netbanking": "NETBANKING", "wallet": "WALLET"}.get(
        (method or "").lower(), "RAZORPAY")


async def _apply_link_event(session: AsyncSession, kind: str, payload: dict[str, Any]) -> str | None:
    entity = _entity(payload, "payment_link")
    if entity is None:
        return "no payment_link entity"
    owner = next((handler for prefix, handler in _link_owners.items()
                  if str(entity.get("reference_id") or "").startswith(prefix)), None)
    if owner is not None:
        paid_entity = _entity(payload, "payment")
        return await owner(session, kind, link_from(entity), payment_from(paid_entity) if paid_entity else None)
    found = await repository.by_link_id(session, str(entity.get("id")))
    if found is None:
        return f"no payment for link {entity.get('id')}"
    link = link_from(entity)
    payment, appointment = await settlement.lock(session, found)
    if kind == "payment_link.paid":
        paid_entity = _entity(payload, "payment")
        paid = payment_from(paid_entity) if paid_entity else None
        mismatch = _amount_mismatch(payment, paid.amount_paise if paid else link.amount_paise,
                                    paid.currency if paid else link.currency)
        if mismatch:
            settlement.add_note(payment, f"Webhook {kind} not applied: {mismatch}")
            return mismatch
        await settlement.settle_paid(session, payment, appointment, provider_payment_id=paid.id if paid else None,
                                     method="PAYMENT_LINK")
        return None
    if kind in ("payment_link.expired", "payment_link.cancelled"):
        await links.expire(session, payment, appointment, status=kind.split(".", 1)[1])
        return None
    return f"ignored event {kind}"


async def apply_stored(session: AsyncSession, webhook_event_id: int) -> bool:
    """The job body: apply the event once (a second run finds it processed or locked and does nothing)."""
    event = await repository.webhook_event_locked(session, webhook_event_id)
    if event is None or event.processed_at is not None:
        return False
    try:
        async with session.begin_nested():
            event.error = await apply(session, event)
    except AppError as exc:  # a business refusal is recorded on the event; retrying would not change it
        event.error = f"{exc.code}: {exc.message}"
    event.processed_at = utcnow()
    if event.error:
        log.warning("webhook_not_applied", event_type=event.event_type, reason=event.error)
    await session.flush()
    return True
