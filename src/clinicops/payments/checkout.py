"""Online checkout (create-order → Razorpay Checkout → verify / failure) and payment at the desk."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment

from clinicops.audit import service as audit
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.errors import NotFound
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import AppointmentStatus
from clinicops.logging import get_logger
from clinicops.payments import repository, settlement
from clinicops.payments.exceptions import AlreadyPaid, InvalidSignature, NotAwaitingPayment
from clinicops.payments.models import Payment
from clinicops.payments.providers import get_provider
from clinicops.payments.providers.base import checkout_signature_valid
from clinicops.payments.repository import OPEN_STATUSES, PAID_STATUSES
from clinicops.payments.service import (PaymentResult, ensure_awaiting_payment, fees_due, loaded,
                                        visible_appointment)

log = get_logger("clinicops.payments")
DIRECT_METHODS = ("CASH", "CARD", "UPI")


@dataclass(frozen=True)
class Order:
    """An open provider order (its payment row, amounts in paise) and the key Checkout is opened with."""

    payment: Payment
    appointment: Appointment
    key_id: str


@dataclass(frozen=True)
class FailureRecorded:
    """A failure Checkout reported: the appointment (its slot released or not) and the order marked FAILED."""

    appointment: Appointment
    released: bool
    payment: Payment | None


async def create_order(session: AsyncSession, principal: Principal, *, appointment_id: int,
                       organization_id: int | None = None) -> Order:
    """An order for the consultation fee plus the one-time registration fee (reused while it is open).
    ``organization_id``: the organization a patient's request acts in (``service.visible_appointment``)."""
    appointment = await visible_appointment(session, principal, appointment_id, organization_id=organization_id,
                                            lock=True)
    await ensure_awaiting_payment(session, appointment)
    consultation, registration = await fees_due(session, appointment)
    amount = consultation + registration
    open_orders = [p for p in await repository.payments_of_appointment(session, appointment.id, lock=True)
                   if p.status in OPEN_STATUSES and p.order_id and not p.link_id]
    payment = next((p for p in open_orders if p.amount_paise == amount), None)
    if payment is None:
        provider = get_provider()
        # The provider is called before anything is written: a timeout leaves no half-made order.
        order = await provider.create_order(amount, "INR", f"appt_{appointment.id}_{int(utcnow().timestamp())}",
                                            {"appointment_id": str(appointment.id),
                                             "patient_id": str(appointment.patient_id)})
        payment = Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                          appointment_id=appointment.id, provider=provider.name, order_id=order.id,
                          amount_paise=amount, consultation_fee_paise=consultation,
                          registration_fee_paise=registration, currency="INR", status="CREATED")
        session.add(payment)
        await session.flush()
        await repository.supersede_open(session, appointment.id, keep_id=payment.id,
                                        reason="Replaced by a newer order with a different amount")
    await loaded(session, payment, appointment)
    return Order(payment, appointment, get_settings().razorpay_key_id)


async def verify(session: AsyncSession, principal: Principal, *, appointment_id: int, order_id: str,
                 payment_id: str, signature: str, organization_id: int | None = None) -> PaymentResult:
    """Checkout's handler result: the signature is checked over the order id WE stored, in constant time."""
    appointment = await visible_appointment(session, principal, appointment_id, organization_id=organization_id,
                                            lock=True)
    orders = [p for p in await repository.payments_of_appointment(session, appointment.id, lock=True)
              if p.order_id and not p.link_id]
    if not orders:
        raise NotFound("No order for this appointment")
    payment = next((p for p in orders if p.order_id == order_id), orders[0])
    if not checkout_signature_valid(get_settings(), payment.order_id or "", payment_id, signature):
        log.warning("checkout_signature_invalid", appointment_id=appointment.id, payment_row=payment.id)
        raise InvalidSignature()
    await settlement.settle_paid(session, payment, appointment, provider_payment_id=payment_id,
                                 method="RAZORPAY")
    current = await repository.appointment_locked(session, payment.appointment_id or appointment.id)
    await loaded(session, payment, current or appointment)
    return PaymentResult(payment, current or appointment)


async def report_failure(session: AsyncSession, principal: Principal, *, appointment_id: int,
                         order_id: str | None, error_code: str | None, error_description: str | None,
                         organization_id: int | None = None) -> FailureRecorded:
    """Checkout reported a failed payment: the order is FAILED and the held slot is released."""
    appointment = await visible_appointment(session, principal, appointment_id, organization_id=organization_id,
                                            lock=True)
    payments = await repository.payments_of_appointment(session, appointment.id, lock=True)
    if any(p.status in PAID_STATUSES for p in payments):
        raise AlreadyPaid("This appointment is already paid; the failure is ignored")
    reason = f"Payment failed: {error_code or 'UNKNOWN'}" + (f" — {error_description}" if error_description else "")
    failed = [p for p in payments if p.order_id and (order_id is None or p.order_id == order_id)]
    for payment in failed:
        settlement.mark_failed(payment, code=error_code, reason=error_description)
    released = await settlement.release_hold(session, appointment, reason=reason)
    await session.flush()
    await loaded(session, appointment, *failed)
    return FailureRecorded(appointment, released, failed[0] if failed else None)


async def confirm_direct(session: AsyncSession, principal: Principal, *, appointment_id: int, method: str,
                         notes: str | None) -> PaymentResult:
    """Cash, card or UPI taken at the desk: a SUCCESS payment recorded by the user; the appointment CONFIRMED."""
    appointment = await visible_appointment(session, principal, appointment_id, lock=True)
    payments = await repository.payments_of_appointment(session, appointment.id, lock=True)
    if any(p.status in PAID_STATUSES for p in payments):
        raise AlreadyPaid()
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED,
                                  AppointmentStatus.CHECKED_IN):
        raise NotAwaitingPayment(f"This appointment is {appointment.status}")
    consultation, registration = await fees_due(session, appointment)
    payment = Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                      appointment_id=appointment.id, provider="DIRECT", amount_paise=consultation + registration,
                      consultation_fee_paise=consultation, registration_fee_paise=registration, currency="INR",
                      status="CREATED", notes=notes, recorded_by_user_id=principal.user_id)
    session.add(payment)
    await session.flush()
    await repository.supersede_open(session, appointment.id, keep_id=payment.id,
                                    reason=f"Paid at the desk ({method})")
    await settlement.settle_paid(session, payment, appointment, provider_payment_id=None, method=method,
                                 actor_user_id=principal.user_id, actor="USER")
    await audit.record(session, principal, action="payment.direct", resource_type="payment",
                       resource_id=payment.id, patient_id=appointment.patient_id,
                       details={"method": method, "amount_paise": payment.amount_paise})
    await loaded(session, payment, appointment)
    return PaymentResult(payment, appointment)
