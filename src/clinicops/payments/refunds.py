"""Refunds: eligibility recorded when a paid appointment is cancelled, refunds issued by ADMIN or MANAGER.

The documents state no refund policy, so (docs/payments.md):
- cancelled by staff or by the system (clinician unavailable, slot blocked...): the consultation fee is due back;
- cancelled by the patient at least the organization's ``free_cancellation_hours`` (24 for the demo chain) before
  the start (``lifecycle.cancellation``, the rule the patient website's cancel applies): the consultation fee is
  due back;
- cancelled by the patient later than that (the booking rules normally refuse it): nothing is due;
- the one-time registration fee is not refunded on cancellation (the registration stays valid), except when it
  was charged twice or the payment duplicated another one (recorded when the money arrived).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.audit import service as audit
from clinicops.auth.models import User
from clinicops.authz.principal import Principal
from clinicops.errors import NotFound, ValidationFailed
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import AppointmentStatus, cancellation, effects
from clinicops.lifecycle.effects import StatusChange
from clinicops.logging import get_logger
from clinicops.organizations import service as organizations
from clinicops.payments import repository
from clinicops.payments.exceptions import RefundNotAllowed
from clinicops.payments.models import Payment
from clinicops.payments.providers import get_provider
from clinicops.payments.service import loaded
from clinicops.payments.settlement import lock

log = get_logger("clinicops.payments.refunds")


@effects.register("payments.refund_due")
async def _refund_due(session: AsyncSession, change: StatusChange) -> None:
    assert change.to_status == AppointmentStatus.CANCELLED
    await on_cancelled(session, change.appointment)


async def on_cancelled(session: AsyncSession, appointment: Appointment) -> None:
    """Record refund eligibility of the appointment's successful payment (the effect of every CANCELLED)."""
    for payment in await repository.payments_of_appointment(session, appointment.id, lock=True):
        if payment.status != "SUCCESS":
            continue
        due, hours = await _consultation_due(session, appointment, payment.consultation_fee_paise)
        already = payment.refund_eligible_paise or 0
        payment.refund_eligible_paise = min(payment.amount_paise, max(already, 0) + due)
        if due:
            note = f"Appointment cancelled: ₹{to_rupees(due)} consultation fee refundable"
        else:
            note = f"Appointment cancelled by the patient within {hours} hours: consultation fee not refundable"
        payment.notes = f"{payment.notes}\n{note}" if payment.notes else note
    await session.flush()


async def _consultation_due(session: AsyncSession, appointment: Appointment, fee: int) -> tuple[int, int | None]:
    """(the consultation fee due back, the organization's free-cancellation hours when the patient cancelled)."""
    cancelled_by = (await session.get(User, appointment.cancelled_by_user_id)
                    if appointment.cancelled_by_user_id else None)
    if cancelled_by is None or cancelled_by.user_type == "STAFF":
        return fee, None
    hours = (await organizations.get(session, appointment.organization_id)).free_cancellation_hours
    free = cancellation.is_free(appointment.starts_at, appointment.cancelled_at or utcnow(), hours=hours)
    return (fee if free else 0), hours


async def issue(session: AsyncSession, principal: Principal, *, payment_row_id: int,
                amount_paise: int | None, reason: str | None) -> Payment:
    """Refund through the provider (online payments) or record the money handed back (desk payments)."""
    found = await repository.payment_for(session, principal, payment_row_id)
    if found is None:
        raise NotFound("Payment not found")
    payment, _appointment = await lock(session, found)
    if payment.status != "SUCCESS" or payment.refund_id or payment.refunded_paise:
        raise RefundNotAllowed("Only a paid, not yet refunded payment can be refunded")
    amount = amount_paise if amount_paise is not None else (payment.refund_eligible_paise or 0)
    if amount <= 0:
        raise RefundNotAllowed("Nothing is refundable on this payment; give an amount to refund anyway")
    if amount > payment.amount_paise:
        raise ValidationFailed("amount", "amount exceeds what was paid")
    if payment.provider == "DIRECT":
        payment.refund_id = f"desk_{payment.id}"
        payment.refund_status = "PROCESSED"
        _record_refunded(payment, amount)
    else:
        refund = await get_provider().refund(payment.payment_id or "", amount,
                                             {"payment_row": str(payment.id), "reason": (reason or "")[:200]})
        payment.refund_id = refund.id
        payment.refund_status = refund.status.upper()
        if refund.status == "processed":
            _record_refunded(payment, refund.amount_paise)
    await session.flush()
    await audit.record(session, principal, action="payment.refund", resource_type="payment",
                       resource_id=payment.id, patient_id=payment.patient_id,
                       details={"amount_paise": amount, "reason": reason})
    await loaded(session, payment)
    return payment


def _record_refunded(payment: Payment, amount: int) -> None:
    payment.refunded_paise = min(payment.amount_paise, max(payment.refunded_paise, amount))
    if payment.refunded_paise >= payment.amount_paise:
        payment.status = "REFUNDED"


async def refund_processed(session: AsyncSession, entity: dict[str, Any]) -> str | None:
    """Webhook ``refund.processed``: the money has gone back (fully → REFUNDED)."""
    found = await repository.by_provider_payment_id(session, str(entity.get("payment_id") or ""))
    if found is None:
        return f"no payment {entity.get('payment_id')}"
    payment, _appointment = await lock(session, found)
    if payment.status not in ("SUCCESS", "REFUNDED"):
        return f"refund for a payment in status {payment.status}"
    payment.refund_id = payment.refund_id or str(entity.get("id") or "")
    payment.refund_status = "PROCESSED"
    _record_refunded(payment, int(entity.get("amount") or 0))
    await session.flush()
    return None
