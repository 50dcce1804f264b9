"""Online checkout (create-order → Razorpay Checkout → verify / failure) and payment at the desk."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import service as audit
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.errors import NotFound
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.payments import repository, settlement
from clinicops.payments.exceptions import AlreadyPaid, InvalidSignature, NotAwaitingPayment
from clinicops.payments.models import Payment
from clinicops.payments.providers import get_provider
from clinicops.payments.providers.base import checkout_signature_valid
from clinicops.payments.repository import OPEN_STATUSES, PAID_STATUSES
from clinicops.payments.service import (appointment_wire, ensure_awaiting_payment, fees_due, loaded,
                                        payment_wire, visible_appointment)

log = get_logger("clinicops.payments")
DIRECT_METHODS = ("CASH", "CARD", "UPI")


async def create_order(session: AsyncSession, principal: Principal, *, appointment_id: int) -> dict[str, Any]:
    """An order for the consultation fee plus the one-time registration fee (reused while it is open)."""
    appointment = await visible_appointment(session, principal, appointment_id, lock=True)
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
    return {"orderId": payment.order_id, "amount": payment.amount_paise, "currency": payment.currency,
            "razorpayKeyId": get_settings().razorpay_key_id, "appointment": appointment_wire(appointment),
            "registrationFee": to_rupees(payment.registration_fee_paise),
            "consultationFee": to_rupees(payment.consultation_fee_paise), "paymentId": payment.id}


async def verify(session: AsyncSession, principal: Principal, *, appointment_id: int, order_id: str,
                 payment_id: str, signature: str) -> dict[str, Any]:
    """Checkout's handler result: the signature is checked over the order id WE stored, in constant time."""
    appointment = await visible_appointment(session, principal, appointment_id, lock=True)
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
    return {"verified": True, "payment": payment_wire(payment),
            "appointment": appointment_wire(current or appointment)}


async def report_failure(session: AsyncSession, principal: Principal, *, appointment_id: int,
                         order_id: str | None, error_code: str | None, error_description: str | None
                         ) -> dict[str, Any]:
    """Checkout reported a failed payment: the order is FAILED and the held slot is released."""
    appointment = await visible_appointment(session, principal, appointment_id, lock=True)
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
    return {"appointment": appointment_wire(appointment), "released": released,
            "payment": payment_wire(failed[0]) if failed else None}


async def confirm_direct(session: AsyncSession, principal: Principal, *, appointment_id: int, method: str,
                         notes: str | None) -> dict[str, Any]:
    """Cash, card or UPI taken at the desk: a SUCCESS payment recorded by the user; the appointment CONFIRMED."""
    appointment = await visible_appointment(session, principal, appointment_id, lock=True)
    payments = await repository.payments_of_appointment(session, appointment.id, lock=True)
    if any(p.status in PAID_STATUSES for p in payments):
        raise AlreadyPaid()
    if appointment.status not in ("BOOKED", "CONFIRMED", "CHECKED_IN"):
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
    return {"payment": payment_wire(payment), "appointment": appointment_wire(appointment)}
