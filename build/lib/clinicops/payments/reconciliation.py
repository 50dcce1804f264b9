"""Settling what the webhooks did not: open orders and links are asked about at the provider.

Run every five minutes (``payments.reconcile``). An order still open after ``min_age`` is fetched: a
captured payment settles it (SUCCESS, appointment CONFIRMED), an authorized one marks it PENDING, and an
order with nothing paid after ``ABANDON_AFTER`` is FAILED (a capture arriving later still settles it).
Stored webhook events whose job never ran are applied here too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.errors import AppError
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.payments import links, repository, settlement, webhooks
from clinicops.payments.models import Payment
from clinicops.payments.providers import get_provider
from clinicops.payments.repository import OPEN_STATUSES

log = get_logger("clinicops.payments.reconciliation")
UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
ABANDON_AFTER = timedelta(hours=2)


async def reconcile_due(uow: UnitOfWork, *, min_age: timedelta = timedelta(minutes=5),
                        now: datetime | None = None) -> int:
    """Settle what can be settled; returns how many payments changed. One transaction per payment."""
    now = now or utcnow()
    async with uow() as session:
        event_ids = await repository.unprocessed_webhook_ids(session, received_before=now - timedelta(minutes=1))
        payment_ids = await repository.open_payment_ids(session, created_before=now - min_age)
    for event_id in event_ids:
        async with uow() as session:
            await webhooks.apply_stored(session, event_id)
    changed = 0
    for payment_id in payment_ids:
        try:
            async with uow() as session:
                changed += await reconcile_one(session, payment_id, now=now)
        except AppError as exc:  # provider down or unaware of the id: try again next round
            log.warning("reconcile_skipped", payment_row=payment_id, error=exc.code)
    return changed


async def reconcile_one(session: AsyncSession, payment_id: int, *, now: datetime) -> bool:
    found = await session.get(Payment, payment_id)
    if found is None or found.status not in OPEN_STATUSES:
        return False
    before = found.status
    provider = get_provider()
    # Ask the provider before taking any row lock: a slow provider must not hold the appointment.
    if found.link_id:
        link = await provider.fetch_payment_link(found.link_id)
        payment, appointment = await settlement.lock(session, found)
        if payment.status in OPEN_STATUSES:
            await links.apply_link_state(session, payment, appointment, link)
        if (payment.status in OPEN_STATUSES and link.status == "created" and payment.link_expires_at
                and payment.link_expires_at < now - timedelta(minutes=5)):
            await links.expire(session, payment, appointment, status="expired")
        return payment.status != before
    attempts = await provider.fetch_order_payments(found.order_id or "")
    payment, appointment = await settlement.lock(session, found)
    if payment.status not in OPEN_STATUSES:
        return False
    captured = next((p for p in attempts if p.status == "captured"), None)
    if captured is not None:
        if captured.amount_paise != payment.amount_paise:
            settlement.add_note(payment, f"Reconciliation: captured {captured.amount_paise} paise, "
                                         f"expected {payment.amount_paise}; not applied")
            return False
        await settlement.settle_paid(session, payment, appointment, provider_payment_id=captured.id,
                                     method=webhooks.method_of(captured.method))
    elif any(p.status == "authorized" for p in attempts):
        await settlement.mark_pending(payment, next(p.id for p in attempts if p.status == "authorized"))
    elif payment.created_at < now - ABANDON_AFTER:
        last = attempts[-1] if attempts else None
        settlement.mark_failed(payment, code=(last.error_code if last else None) or "ABANDONED",
                               reason=(last.error_description if last else None) or "No payment was completed")
    await session.flush()
    return payment.status != before
