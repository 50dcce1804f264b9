"""Forward-only payment state changes, shared by verify, webhooks, links, reconciliation and the desk.

A payment goes CREATED → PENDING → SUCCESS | FAILED, FAILED → SUCCESS (a later attempt on the same order
succeeded), SUCCESS → REFUNDED, and never back from SUCCESS. Callers hold the rows: :func:`lock` takes the
appointment row first and then the payment row, the one lock order used everywhere, so verify and a webhook
for the same payment serialize and the appointment is confirmed exactly once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import booking
from clinicops.appointments.models import Appointment
from clinicops.errors import AppError
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor, AppointmentStatus, change_status
from clinicops.logging import get_logger
from clinicops.messaging import notify
from clinicops.patients import registry
from clinicops.payments import repository
from clinicops.payments.models import Payment
from clinicops.payments.repository import OPEN_STATUSES, PAID_STATUSES

log = get_logger("clinicops.payments")


async def lock(session: AsyncSession, payment: Payment) -> tuple[Payment, Appointment | None]:
    appointment = None
    if payment.appointment_id is not None:
        appointment = await repository.appointment_locked(session, payment.appointment_id)
    locked = await repository.by_id_locked(session, payment.id)
    assert locked is not None
    return locked, appointment


def add_note(payment: Payment, text: str) -> None:
    payment.notes = f"{payment.notes}\n{text}" if payment.notes else text


async def settle_paid(session: AsyncSession, payment: Payment, appointment: Appointment | None, *,
                      provider_payment_id: str | None, method: str, actor_user_id: int | None = None,
                      actor: str = Actor.PAYMENT) -> bool:
    """Record the money received and confirm the appointment; False when it was already recorded."""
    if payment.status in PAID_STATUSES:
        return False
    payment.status = "SUCCESS"
    payment.paid_at = utcnow()
    payment.payment_id = payment.payment_id or provider_payment_id
    payment.method = method
    await session.flush()
    if appointment is not None and await repository.other_paid_exists(session, appointment.id, payment.id):
        payment.refund_eligible_paise = payment.amount_paise
        add_note(payment, "Duplicate payment: the appointment was already paid; refund due in full")
        await session.flush()
        return True
    if appointment is not None:
        appointment = await _confirm(session, appointment, payment, actor_user_id=actor_user_id, actor=actor)
    if appointment is not None and appointment.status == AppointmentStatus.CANCELLED:
        # paid for a slot that is gone: all of it goes back, so the one-time registration fee stays unpaid
        await notify.payment_refund_due(session, appointment, amount_paise=payment.amount_paise)
    else:
        await _charge_registration(session, payment)
        if appointment is not None:
            await notify.payment_received(session, appointment, amount_paise=payment.amount_paise)
    await session.flush()
    return True


async def _charge_registration(session: AsyncSession, payment: Payment) -> None:
    if payment.registration_fee_paise <= 0:
        return
    await registry.ensure_registration(session, organization_id=payment.organization_id,
                                       patient_id=payment.patient_id)
    reg = await repository.registration(session, organization_id=payment.organization_id,
                                        patient_id=payment.patient_id, lock=True)
    assert reg is not None
    if reg.registration_fee_paid:
        # Two orders were open at once and both carried the one-time fee: the second is given back.
        payment.refund_eligible_paise = (payment.refund_eligible_paise or 0) + payment.registration_fee_paise
        add_note(payment, "Registration fee was already paid; it is refundable")
        return
    reg.registration_fee_paid = True
    reg.registration_fee_paid_at = utcnow()


async def _confirm(session: AsyncSession, appointment: Appointment, payment: Payment, *,
                   actor_user_id: int | None, actor: str) -> Appointment:
    reason = f"Payment of ₹{to_rupees(payment.amount_paise)} received"
    if appointment.status == AppointmentStatus.BOOKED:
        await change_status(session, appointment, AppointmentStatus.CONFIRMED, actor_user_id=actor_user_id,
                            actor=actor, reason=reason)
        return appointment
    if appointment.status != AppointmentStatus.CANCELLED:
        return appointment  # already confirmed or further along: the money is recorded, nothing to move
    rebooked = await _rebook(session, appointment, payment) if appointment.cancelled_by_user_id is None else None
    if rebooked is None:
        payment.refund_eligible_paise = payment.amount_paise
        add_note(payment, "Paid after the slot was released and could not be re-booked; refund due in full")
        return appointment
    await change_status(session, rebooked, AppointmentStatus.CONFIRMED, actor_user_id=actor_user_id, actor=actor,
                        reason=reason)
    return rebooked


async def _rebook(session: AsyncSession, old: Appointment, payment: Payment) -> Appointment | None:
    """The hold expired before the money arrived: book the same slot again if it is still bookable.

    Through ``booking.book``, the one path of every new appointment (the clinician's time lock, lapsed holds
    released, the slot engine's check), in a savepoint: a refusal (the slot is taken, the clinician no longer
    works then) leaves the transaction usable, and the payment is then due back in full.
    """
    if old.starts_at is None or old.starts_at <= utcnow():
        return None
    try:
        async with session.begin_nested():
            booked = await booking.book(
                session, organization_id=old.organization_id, patient_id=old.patient_id,
                clinician_id=old.clinician_id, centre_id=old.centre_id, mode=old.mode, kind=old.kind,
                starts_at=old.starts_at, duration_minutes=old.duration_minutes, notes=old.notes,
                parent_appointment_id=old.parent_appointment_id, source=old.source, fee_paise=old.fee_paise,
                booked_by_user_id=old.booked_by_user_id, actor_user_id=None, actor=Actor.PAYMENT,
                reason=f"Re-booked: payment for appointment #{old.id} arrived after its hold was released")
    except AppError as exc:  # refused: the slot is taken, or no longer offered
        log.info("late_payment_slot_taken", appointment_id=old.id, payment_id=payment.id, why=exc.message)
        return None
    new = booked.appointment
    payment.appointment_id = new.id
    add_note(payment, f"Paid after appointment #{old.id} was released; re-booked as #{new.id}")
    return new


async def mark_pending(payment: Payment, provider_payment_id: str | None) -> bool:
    if payment.status != "CREATED":
        return False
    payment.status = "PENDING"
    payment.payment_id = payment.payment_id or provider_payment_id
    return True


def mark_failed(payment: Payment, *, code: str | None, reason: str | None) -> bool:
    if payment.status not in OPEN_STATUSES:
        return False
    payment.status = "FAILED"
    payment.failure_code = (code or "PAYMENT_FAILED")[:100]
    payment.failure_reason = reason
    return True


async def release_hold(session: AsyncSession, appointment: Appointment | None, *, reason: str) -> bool:
    """Give the slot back when the money will not come (failure reported, link expired)."""
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return False
    if await repository.other_paid_exists(session, appointment.id, exclude_id=0):
        return False
    await change_status(session, appointment, AppointmentStatus.CANCELLED, actor_user_id=None,
                        actor=Actor.PAYMENT, reason=reason)
    return True
