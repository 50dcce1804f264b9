"""Payment reads and the shared pieces of the payment use cases (amounts, scoped loads).

Use cases return models and small dataclasses, money in integer paise; each surface shapes its own wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.authz.patient_scope import PatientScope, patient_scope
from clinicops.authz.principal import Principal
from clinicops.errors import Forbidden, NotFound, ValidationFailed
from clinicops.kit.timezones import day_bounds, utcnow, zone
from clinicops.lifecycle import AppointmentStatus, holds
from clinicops.organizations import service as organizations
from clinicops.payments import repository
from clinicops.payments.exceptions import AlreadyPaid, HoldExpired, NotAwaitingPayment, NothingToPay
from clinicops.payments.models import PAYMENT_STATUSES, Payment
from clinicops.payments.repository import PAID_STATUSES, HistoryFilters


async def loaded(session: AsyncSession, *rows: object) -> None:
    """Reload what a flush expired (server-side timestamps), so a surface reads the rows without I/O."""
    for row in rows:
        if row is None:
            continue
        expired = inspect(row).expired_attributes
        if expired:
            await session.refresh(row, attribute_names=list(expired))


@dataclass(frozen=True)
class AppointmentPayments:
    """An appointment's payments: the one that counts (the paid one, else the newest) and every attempt."""

    appointment: Appointment
    current: Payment
    attempts: list[Payment]


@dataclass(frozen=True)
class PaymentResult:
    """A payment as a use case left it, with its appointment as it is now."""

    payment: Payment
    appointment: Appointment


@dataclass(frozen=True)
class RegistrationFee:
    """A patient's one-time registration fee in an organization: paid or not, and what is still due (paise)."""

    paid: bool
    due_paise: int
    paid_at: datetime | None


def _patient_side(principal: Principal, organization_id: int | None) -> PatientScope | None:
    """A patient's scope (their own rows in the organization their request acts in); None for staff.

    ``organization_id`` is that organization, chosen by the surface; staff always act in their own. A use case
    called without it is for staff only."""
    if not principal.is_patient:
        return None
    if organization_id is None:
        raise Forbidden("This endpoint is for staff")
    return patient_scope(principal, organization_id)


async def visible_appointment(session: AsyncSession, principal: Principal, appointment_id: int, *,
                              organization_id: int | None = None, lock: bool = False) -> Appointment:
    """The appointment if the caller may see it (else 404): staff in scope, or the patient's own, in the
    organization their request acts in (``organization_id``, see :func:`_patient_side`)."""
    appointment = await repository.appointment_for(session, principal, appointment_id,
                                                   patient=_patient_side(principal, organization_id), lock=lock)
    if appointment is None:
        raise NotFound("Appointment not found")
    return appointment


async def ensure_awaiting_payment(session: AsyncSession, appointment: Appointment) -> None:
    """Only a BOOKED appointment whose hold has not lapsed (``lifecycle.holds``) can be paid online."""
    if await repository.other_paid_exists(session, appointment.id, exclude_id=0):
        raise AlreadyPaid()
    if appointment.status != AppointmentStatus.BOOKED:
        raise NotAwaitingPayment(f"This appointment is {appointment.status}, not awaiting payment")
    if holds.has_lapsed(appointment, now=utcnow(), paid=False):  # paid: refused above
        raise HoldExpired()


async def registration_fee_due(session: AsyncSession, *, organization_id: int, patient_id: int) -> int:
    """The one-time registration fee patient P still owes organization O (O's own fee), in paise: 0 once it has
    been paid there.

    The one computation of it: the patient website shows it (registration-fee-status) and adds it to the total it
    charges, and create-order charges it (:func:`fees_due`), so what is shown is what is charged.
    """
    reg = await repository.registration(session, organization_id=organization_id, patient_id=patient_id)
    if reg is not None and reg.registration_fee_paid:
        return 0
    return (await organizations.get(session, organization_id)).registration_fee_paise


async def fees_due(session: AsyncSession, appointment: Appointment) -> tuple[int, int]:
    """(consultation fee, registration fee) in paise; the one-time fee only until it has been paid here."""
    registration = await registration_fee_due(session, organization_id=appointment.organization_id,
                                              patient_id=appointment.patient_id)
    if appointment.fee_paise + registration <= 0:
        raise NothingToPay()
    return appointment.fee_paise, registration


async def for_appointment(session: AsyncSession, principal: Principal, appointment_id: int, *,
                          organization_id: int | None = None) -> AppointmentPayments:
    appointment = await visible_appointment(session, principal, appointment_id, organization_id=organization_id)
    payments = await repository.payments_of_appointment(session, appointment.id)
    current = next((p for p in payments if p.status in PAID_STATUSES), payments[0] if payments else None)
    if current is None:
        raise NotFound("No payment for this appointment")
    return AppointmentPayments(appointment, current, payments)


async def _zone_of(session: AsyncSession, principal: Principal, organization_id: int | None) -> ZoneInfo:
    """Plain dates are days in the zone of the organization the request acts in."""
    acting = principal.organization_id if principal.is_staff else organization_id
    return zone((await organizations.get(session, acting or 0)).timezone)


async def history(session: AsyncSession, principal: Principal, *, status: str | None = None,
                  patient_id: int | None = None, appointment_id: int | None = None, centre_id: int | None = None,
                  date_from: date | None = None, date_to: date | None = None, limit: int,
                  offset: int, organization_id: int | None = None
                  ) -> tuple[list[tuple[Payment, Appointment]], int]:
    """(payment, its appointment) newest first, and the total: a patient's own, or the staff member's
    organization (and centres)."""
    if status and status.upper() not in PAYMENT_STATUSES:
        raise ValidationFailed("status", f"status must be one of {', '.join(PAYMENT_STATUSES)}")
    patient = _patient_side(principal, organization_id)
    tz = await _zone_of(session, principal, organization_id) if (date_from or date_to) else None
    filters = HistoryFilters(
        status=status.upper() if status else None, appointment_id=appointment_id,
        patient_id=None if principal.is_patient else patient_id,
        centre_id=None if principal.is_patient else centre_id,
        paid_from=day_bounds(date_from, tz)[0] if date_from and tz else None,
        paid_to=day_bounds(date_to, tz)[1] if date_to and tz else None)
    rows, total = await repository.history(session, principal, filters, limit=limit, offset=offset,
                                           patient=patient)
    return [(p, a) for p, a in rows], total


async def patient_history(session: AsyncSession, principal: Principal, *, patient_id: int, limit: int,
                          offset: int) -> tuple[list[tuple[Payment, Appointment]], int]:
    """A staff read of one patient's payments: a patient outside the caller's scope is 404, never an empty list."""
    if not await repository.staff_visible_patient(session, principal, patient_id):
        raise NotFound("Patient not found")
    return await history(session, principal, patient_id=patient_id, limit=limit, offset=offset)


async def registration_fee_status(session: AsyncSession, principal: Principal, *, patient_id: int | None,
                                  organization_id: int | None = None) -> RegistrationFee:
    """The registration fee still due: the patient's own (in the organization their session acts in), or (staff)
    a patient's in the staff member's organization.

    The amount is what is still DUE (0 once paid), because the patient website adds it to the total it shows
    and charges; it is :func:`registration_fee_due`, the computation create-order charges.
    """
    if principal.is_patient:
        scope = _patient_side(principal, organization_id)
        assert scope is not None
        organization_id, patient_id = scope.organization_id, scope.patient_id
    else:
        if patient_id is None:
            raise ValidationFailed("patient_id", "patient_id is required")
        if not await repository.staff_visible_patient(session, principal, patient_id):
            raise NotFound("Patient not found")
        organization_id = principal.organization_id
    reg = await repository.registration(session, organization_id=organization_id, patient_id=patient_id)
    if principal.is_staff and reg is None:
        raise NotFound("Patient not found")
    assert organization_id is not None and patient_id is not None
    due = await registration_fee_due(session, organization_id=organization_id, patient_id=patient_id)
    return RegistrationFee(paid=bool(reg and reg.registration_fee_paid), due_paise=due,
                           paid_at=reg.registration_fee_paid_at if reg else None)
