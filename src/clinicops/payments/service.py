"""Payment reads and the shared pieces of the payment use cases (amounts, wire shapes, scoped loads)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.authz.patient_scope import PatientScope, patient_scope
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.errors import NotFound, ValidationFailed
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import day_bounds, utcnow, zone
from clinicops.organizations import service as organizations
from clinicops.payments import repository
from clinicops.payments.exceptions import AlreadyPaid, HoldExpired, NotAwaitingPayment, NothingToPay
from clinicops.payments.models import PAYMENT_STATUSES, Payment
from clinicops.payments.repository import PAID_STATUSES, HistoryFilters


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


async def loaded(session: AsyncSession, *rows: object) -> None:
    """Reload what a flush expired (server-side timestamps) so the wire shapes can be built without I/O."""
    for row in rows:
        if row is None:
            continue
        expired = inspect(row).expired_attributes
        if expired:
            await session.refresh(row, attribute_names=list(expired))


def payment_wire(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id, "appointmentId": payment.appointment_id, "patientId": payment.patient_id,
        "provider": payment.provider, "orderId": payment.order_id, "paymentId": payment.payment_id,
        "paymentLinkId": payment.link_id, "paymentLinkUrl": payment.link_url,
        "paymentLinkExpiresAt": _iso(payment.link_expires_at),
        "amount": to_rupees(payment.amount_paise), "consultationFee": to_rupees(payment.consultation_fee_paise),
        "registrationFee": to_rupees(payment.registration_fee_paise), "currency": payment.currency,
        "status": payment.status, "method": payment.method, "paidAt": _iso(payment.paid_at),
        "failureCode": payment.failure_code, "failureReason": payment.failure_reason,
        "refundEligibleAmount": (to_rupees(payment.refund_eligible_paise)
                                 if payment.refund_eligible_paise is not None else None),
        "refundedAmount": to_rupees(payment.refunded_paise), "refundId": payment.refund_id,
        "refundStatus": payment.refund_status, "notes": payment.notes,
        "createdAt": _iso(payment.created_at), "updatedAt": _iso(payment.updated_at),
    }


def appointment_wire(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.id, "status": appointment.status, "patientId": appointment.patient_id,
        "clinicianId": appointment.clinician_id, "centreId": appointment.centre_id,
        "appointmentType": appointment.mode, "kind": appointment.kind,
        "scheduledStartAt": _iso(appointment.starts_at), "scheduledEndAt": _iso(appointment.ends_at),
        "holdExpiresAt": _iso(appointment.hold_expires_at), "consultationFee": to_rupees(appointment.fee_paise),
    }


async def _patient_side(session: AsyncSession, principal: Principal) -> PatientScope | None:
    """A patient's scope (their own rows in the organization their session acts in); None for staff."""
    return await patient_scope(session, principal) if principal.is_patient else None


async def visible_appointment(session: AsyncSession, principal: Principal, appointment_id: int, *,
                              lock: bool = False) -> Appointment:
    """The appointment if the caller may see it (else 404): staff in scope, or the patient's own, in the
    organization their session acts in."""
    appointment = await repository.appointment_for(session, principal, appointment_id,
                                                   patient=await _patient_side(session, principal), lock=lock)
    if appointment is None:
        raise NotFound("Appointment not found")
    return appointment


async def ensure_awaiting_payment(session: AsyncSession, appointment: Appointment) -> None:
    """Only a BOOKED appointment whose hold is still live can be paid online."""
    if await repository.other_paid_exists(session, appointment.id, exclude_id=0):
        raise AlreadyPaid()
    if appointment.status != "BOOKED":
        raise NotAwaitingPayment(f"This appointment is {appointment.status}, not awaiting payment")
    if appointment.hold_expires_at is not None and appointment.hold_expires_at <= utcnow():
        raise HoldExpired()


async def registration_fee_due(session: AsyncSession, *, organization_id: int, patient_id: int) -> int:
    """The one-time registration fee patient P still owes organization O, in paise: 0 once it has been paid there.

    The one computation of it: the patient website shows it (registration-fee-status) and adds it to the total it
    charges, and create-order charges it (:func:`fees_due`), so what is shown is what is charged.
    """
    reg = await repository.registration(session, organization_id=organization_id, patient_id=patient_id)
    return 0 if reg is not None and reg.registration_fee_paid else get_settings().registration_fee_paise


async def fees_due(session: AsyncSession, appointment: Appointment) -> tuple[int, int]:
    """(consultation fee, registration fee) in paise; the one-time fee only until it has been paid here."""
    registration = await registration_fee_due(session, organization_id=appointment.organization_id,
                                              patient_id=appointment.patient_id)
    if appointment.fee_paise + registration <= 0:
        raise NothingToPay()
    return appointment.fee_paise, registration


async def for_appointment(session: AsyncSession, principal: Principal, appointment_id: int) -> dict[str, Any]:
    appointment = await visible_appointment(session, principal, appointment_id)
    payments = await repository.payments_of_appointment(session, appointment.id)
    current = next((p for p in payments if p.status in PAID_STATUSES), payments[0] if payments else None)
    if current is None:
        raise NotFound("No payment for this appointment")
    return {**payment_wire(current), "appointment": appointment_wire(appointment),
            "attempts": [payment_wire(p) for p in payments]}


async def _zone_of(session: AsyncSession, principal: Principal) -> ZoneInfo:
    """Plain dates are days in the organization's zone (a patient's: the public organization's)."""
    if principal.is_staff:
        return zone((await organizations.get(session, principal.organization_id or 0)).timezone)
    try:
        return zone((await organizations.public_organization(session)).timezone)
    except NotFound:
        return zone("Asia/Kolkata")


async def history(session: AsyncSession, principal: Principal, *, status: str | None = None,
                  patient_id: int | None = None, appointment_id: int | None = None, centre_id: int | None = None,
                  date_from: date | None = None, date_to: date | None = None, limit: int,
                  offset: int) -> dict[str, Any]:
    """Payments newest first: a patient's own, or the staff member's organization (and centres)."""
    if status and status.upper() not in PAYMENT_STATUSES:
        raise ValidationFailed("status", f"status must be one of {', '.join(PAYMENT_STATUSES)}")
    tz = await _zone_of(session, principal) if (date_from or date_to) else None
    filters = HistoryFilters(
        status=status.upper() if status else None, appointment_id=appointment_id,
        patient_id=None if principal.is_patient else patient_id,
        centre_id=None if principal.is_patient else centre_id,
        paid_from=day_bounds(date_from, tz)[0] if date_from and tz else None,
        paid_to=day_bounds(date_to, tz)[1] if date_to and tz else None)
    rows, total = await repository.history(session, principal, filters, limit=limit, offset=offset,
                                           patient=await _patient_side(session, principal))
    return {"payments": [{**payment_wire(p), "appointment": appointment_wire(a)} for p, a in rows],
            "total": total, "limit": limit, "offset": offset}


async def patient_history(session: AsyncSession, principal: Principal, *, patient_id: int, limit: int,
                          offset: int) -> dict[str, Any]:
    """A staff read of one patient's payments: a patient outside the caller's scope is 404, never an empty list."""
    if not await repository.staff_visible_patient(session, principal, patient_id):
        raise NotFound("Patient not found")
    return await history(session, principal, patient_id=patient_id, limit=limit, offset=offset)


async def registration_fee_status(session: AsyncSession, principal: Principal, *,
                                  patient_id: int | None) -> dict[str, Any]:
    """The registration fee still due: the patient's own (in the organization their session acts in), or (staff)
    a patient's in the staff member's organization.

    ``registrationFee`` is the amount still DUE (0 once paid), because the patient website adds it to the total
    it shows and charges; it is :func:`registration_fee_due`, the computation create-order charges.
    """
    if principal.is_patient:
        scope = await patient_scope(session, principal)
        organization_id, patient_id = scope.organization_id, scope.patient_id
    else:
        if patient_id is None:
            raise ValidationFailed("patientId", "patientId is required")
        if not await repository.staff_visible_patient(session, principal, patient_id):
            raise NotFound("Patient not found")
        organization_id = principal.organization_id
    reg = await repository.registration(session, organization_id=organization_id, patient_id=patient_id)
    if principal.is_staff and reg is None:
        raise NotFound("Patient not found")
    assert organization_id is not None and patient_id is not None
    due = to_rupees(await registration_fee_due(session, organization_id=organization_id, patient_id=patient_id))
    return {"hasPaidRegistrationFee": bool(reg and reg.registration_fee_paid), "registrationFee": due,
            "registrationFeeDue": due, "paidAt": _iso(reg.registration_fee_paid_at) if reg else None}
