"""Read models: appointments joined with the names the screens show, the patient's own lists, and a patient's
appointments and payments as a staff member reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.authz import scopes
from clinicops.authz.patient_scope import PatientScope
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.lifecycle import RELEASED
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.messaging.models import OutboxMessage
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
                Appointment.status.not_in(sorted(RELEASED | {S.COMPLETED})))


def is_past(now: datetime) -> ColumnElement[bool]:
    """A patient's past appointment: started before now, not cancelled (a no-show or completion is past)."""
    return and_(Appointment.starts_at < now, Appointment.status.not_in((S.CANCELLED, S.RESCHEDULED)))


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
        func.count().filter(a.status != S.RESCHEDULED),
        func.count().filter(a.status == S.COMPLETED),
        func.count().filter(is_upcoming(now)),
        func.count().filter(is_past(now)),
        func.count().filter(a.status == S.CANCELLED),
    ).where(scopes.appointments(scope))
    total, completed, upcoming, past, cancelled = (await session.execute(stmt)).one()
    return {"total": total, "completed": completed, "upcoming": upcoming, "past": past, "cancelled": cancelled}


async def patient_payments(session: AsyncSession, scope: PatientScope, *, limit: int, offset: int = 0
                           ) -> tuple[list[Payment], int]:
    rows = await session.execute(select(Payment).where(scopes.payments(scope))
                                 .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit).offset(offset))
    total = (await session.execute(select(func.count()).select_from(Payment)
                                   .where(scopes.payments(scope)))).scalar_one()
    return list(rows.scalars()), total


async def patient_spent_paise(session: AsyncSession, scope: PatientScope) -> int:
    stmt = select(func.coalesce(func.sum(Payment.amount_paise - Payment.refunded_paise), 0)).where(
        scopes.payments(scope), Payment.status.in_(("SUCCESS", "REFUNDED")))
    return int((await session.execute(stmt)).scalar_one())


async def patient_messages(session: AsyncSession, scope: PatientScope, *, limit: int, offset: int = 0):
    """The WhatsApp messages sent (or queued) to the patient, newest first: their notification history."""
    where = scope.of(OutboxMessage)
    rows = await session.execute(select(OutboxMessage).where(*where)
                                 .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                                 .limit(limit).offset(offset))
    total = (await session.execute(select(func.count()).select_from(OutboxMessage).where(*where))).scalar_one()
    return list(rows.scalars()), total


# --- a patient's appointments and payments as a staff member reads them (the patient record, appointments.records) --

@dataclass(frozen=True)
class NextAppointment:
    id: int
    starts_at: datetime
    ends_at: datetime | None
    mode: str
    kind: str
    status: str
    clinician_name: str | None
    centre_name: str
    centre_timezone: str


@dataclass(frozen=True)
class PatientSummary:
    """What the staff lists show of a patient's appointments (those the reader may see)."""

    upcoming_count: int = 0
    past_count: int = 0
    next_appointment: NextAppointment | None = None


async def patient_summaries(session: AsyncSession, principal: Principal, patient_ids: list[int], *,
                            now: datetime) -> dict[int, PatientSummary]:
    """Each patient's upcoming and past counts and next appointment, among the appointments ``principal`` may read
    (``authz.scopes``): one statement (two LATERAL subqueries per patient), whatever the number of patients."""
    if not patient_ids:
        return {}
    readable = scopes.appointments(principal)
    doctor = aliased(User, name="next_doctor")
    counts = (select(func.count().filter(is_upcoming(now)).label("upcoming"),
                     func.count().filter(is_past(now)).label("past"))
              .where(Appointment.patient_id == Patient.id, readable).lateral("appointment_counts"))
    following = (select(Appointment.id, Appointment.starts_at, Appointment.ends_at, Appointment.mode,
                        Appointment.kind, Appointment.status, doctor.full_name.label("clinician_name"),
                        Centre.name.label("centre_name"), Centre.timezone.label("centre_timezone"))
                 .join(Centre, Centre.id == Appointment.centre_id)
                 .join(Clinician, Clinician.id == Appointment.clinician_id)
                 .join(doctor, doctor.id == Clinician.user_id)
                 .where(Appointment.patient_id == Patient.id, readable, is_upcoming(now))
                 .order_by(Appointment.starts_at, Appointment.id).limit(1).lateral("next_appointment"))
    rows = await session.execute(
        select(Patient.id, counts.c.upcoming, counts.c.past, *following.c).select_from(Patient)
        .join(counts, true()).outerjoin(following, true()).where(Patient.id.in_(patient_ids)))
    return {patient_id: PatientSummary(upcoming, past, NextAppointment(*nxt) if nxt[0] is not None else None)
            for patient_id, upcoming, past, *nxt in rows}


async def appointments_of_patient(session: AsyncSession, principal: Principal, patient_id: int
                                  ) -> list[dict[str, Any]]:
    """The patient's appointments ``principal`` may read, newest first, with clinician and centre names."""
    clinician_user = select(User.full_name).where(User.id == Clinician.user_id).scalar_subquery()
    stmt = (select(Appointment, Centre.name.label("centre_name"), clinician_user.label("clinician_name"),
                   Centre.timezone.label("centre_timezone"))
            .join(Centre, Centre.id == Appointment.centre_id)
            .join(Clinician, Clinician.id == Appointment.clinician_id)
            .where(Appointment.patient_id == patient_id, scopes.appointments(principal))
            .order_by(Appointment.starts_at.desc().nulls_last(), Appointment.id.desc()))
    rows = await session.execute(stmt)
    return [{"appointment": r.Appointment, "centre_name": r.centre_name, "clinician_name": r.clinician_name,
             "centre_timezone": r.centre_timezone} for r in rows]


async def payments_of_patient(session: AsyncSession, principal: Principal, patient_id: int) -> list[Payment]:
    """The patient's payments ``principal`` may read (with their appointment; without one, with the patient)."""
    stmt = (select(Payment).where(Payment.patient_id == patient_id, scopes.payments(principal))
            .order_by(Payment.created_at.desc(), Payment.id.desc()))
    return list((await session.execute(stmt)).scalars())
