"""Read models: appointments joined with the names the screens show, and the patient's own lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.authz.patient_scope import PatientScope
from clinicops.clinicians.models import Clinician
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient, PatientRegistration
from clinicops.payments.models import Payment


@dataclass(frozen=True)
class AppointmentView:
    appointment: Appointment
    patient_name: str
    patient_phone: str
    patient_email: str | None
    patient_mrn: str | None
    clinician_name: str
    specializations: list
    centre_name: str
    centre_city: str
    centre_address: str
    centre_pincode: str | None
    centre_phone: str | None
    centre_timezone: str
    booked_by_name: str | None
    payment_status: str | None
    payment_method: str | None = None  # of the appointment's successful payment
    payment_notes: str | None = None


def is_upcoming(now: datetime) -> ColumnElement[bool]:
    """A patient's upcoming appointment: still to start and not released or finished (every count of a patient's
    appointments uses this and :func:`is_past`)."""
    return and_(Appointment.starts_at >= now,
                Appointment.status.not_in(("CANCELLED", "RESCHEDULED", "NO_SHOW", "SKIPPED", "COMPLETED")))


def is_past(now: datetime) -> ColumnElement[bool]:
    """A patient's past appointment: started before now, not cancelled (a no-show or completion is past)."""
    return and_(Appointment.starts_at < now, Appointment.status.not_in(("CANCELLED", "RESCHEDULED")))


def local_date(column=Appointment.starts_at):
    """The calendar day of an instant in its centre's zone (a plain date means that day at the centre)."""
    return func.date(func.timezone(Centre.timezone, column))


def _select() -> Select:
    doctor = aliased(User)
    booker = aliased(User)
    latest_payment = (select(Payment.status).where(Payment.appointment_id == Appointment.id)
                      .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(1).scalar_subquery())

    def paid(column):  # a column of the appointment's latest successful (possibly since refunded) payment
        return (select(column).where(Payment.appointment_id == Appointment.id,
                                     Payment.status.in_(("SUCCESS", "REFUNDED")))
                .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(1).scalar_subquery())
    return (
        select(Appointment, Patient.full_name, Patient.phone, Patient.email, PatientRegistration.mrn,
               doctor.full_name, Clinician.specializations, Centre.name, Centre.city,
               func.concat_ws(", ", Centre.address_line1, Centre.address_line2), Centre.pincode, Centre.phone,
               Centre.timezone, booker.full_name, latest_payment, paid(Payment.method), paid(Payment.notes))
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Clinician, Clinician.id == Appointment.clinician_id)
        .join(doctor, doctor.id == Clinician.user_id)
        .join(Centre, Centre.id == Appointment.centre_id)
        .outerjoin(PatientRegistration, and_(PatientRegistration.patient_id == Appointment.patient_id,
                                             PatientRegistration.organization_id == Appointment.organization_id))
        .outerjoin(booker, booker.id == Appointment.booked_by_user_id)
    )


def _view(row) -> AppointmentView:
    return AppointmentView(*row)


async def views(session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int | None = None,
                offset: int = 0, newest_first: bool = True) -> list[AppointmentView]:
    order = Appointment.starts_at.desc() if newest_first else Appointment.starts_at.asc()
    # populate_existing: rows this transaction just wrote come back with their database-set columns
    stmt = (_select().where(*where).order_by(order, Appointment.id).offset(offset)
            .execution_options(populate_existing=True))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_view(row) for row in await session.execute(stmt)]


async def view(session: AsyncSession, appointment_id: int) -> AppointmentView | None:
    found = await views(session, [Appointment.id == appointment_id], limit=1)
    return found[0] if found else None


async def count(session: AsyncSession, where: list[ColumnElement[bool]]) -> int:
    stmt = (select(func.count()).select_from(Appointment).join(Centre, Centre.id == Appointment.centre_id)
            .where(*where))
    return (await session.execute(stmt)).scalar_one()


async def status_counts(session: AsyncSession, where: list[ColumnElement[bool]]) -> dict[str, int]:
    """How many appointments matching ``where`` are in each status (one grouped query)."""
    stmt = (select(Appointment.status, func.count()).select_from(Appointment)
            .join(Centre, Centre.id == Appointment.centre_id).where(*where).group_by(Appointment.status))
    return {status: count for status, count in await session.execute(stmt)}


def day_filters(*, on: date | None, since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if on is not None:
        where.append(local_date() == on)
    if since is not None:
        where.append(local_date() >= since)
    if until is not None:
        where.append(local_date() <= until)
    return where


async def patient_counts(session: AsyncSession, scope: PatientScope, now: datetime) -> dict[str, int]:
    a = Appointment
    stmt = select(
        func.count().filter(a.status != "RESCHEDULED"),
        func.count().filter(a.status == "COMPLETED"),
        func.count().filter(is_upcoming(now)),
        func.count().filter(is_past(now)),
        func.count().filter(a.status == "CANCELLED"),
    ).where(*scope.of(a))
    total, completed, upcoming, past, cancelled = (await session.execute(stmt)).one()
    return {"total": total, "completed": completed, "upcoming": upcoming, "past": past, "cancelled": cancelled}


async def patient_payments(session: AsyncSession, scope: PatientScope, *, limit: int, offset: int = 0
                           ) -> tuple[list[Payment], int]:
    rows = await session.execute(select(Payment).where(*scope.of(Payment))
                                 .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit).offset(offset))
    total = (await session.execute(select(func.count()).select_from(Payment)
                                   .where(*scope.of(Payment)))).scalar_one()
    return list(rows.scalars()), total


async def patient_spent_paise(session: AsyncSession, scope: PatientScope) -> int:
    stmt = select(func.coalesce(func.sum(Payment.amount_paise - Payment.refunded_paise), 0)).where(
        *scope.of(Payment), Payment.status.in_(("SUCCESS", "REFUNDED")))
    return int((await session.execute(stmt)).scalar_one())


async def patient_messages(session: AsyncSession, scope: PatientScope, *, limit: int, offset: int = 0):
    """The WhatsApp messages sent (or queued) to the patient, newest first: their notification history."""
    from clinicops.messaging.models import OutboxMessage

    where = scope.of(OutboxMessage)
    rows = await session.execute(select(OutboxMessage).where(*where)
                                 .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                                 .limit(limit).offset(offset))
    total = (await session.execute(select(func.count()).select_from(OutboxMessage).where(*where))).scalar_one()
    return list(rows.scalars()), total
