"""All SQL of the staff view of patients. Every query starts from what the principal may see:

- desk roles: patients registered with the caller's organization;
- a clinician (with no desk role): patients who have an appointment with them.
Appointments and payments inside a record are narrowed the same way (own appointments for a clinician, the
caller's centres for a centre-bound role).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clinicops.appointments import queries as appointment_queries
from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.organizations.models import Centre
from clinicops.patients.models import ClinicalNote, Patient, PatientRegistration
from clinicops.payments.models import Payment


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def visible_condition(principal: Principal) -> ColumnElement[bool]:
    """A condition on ``Patient.id``: the patients this principal may see."""
    org = principal.organization_id
    if org is None or not principal.is_staff:
        return false()
    if principal.only_own_clinician():
        if principal.clinician_id is None:
            return false()
        return Patient.id.in_(select(Appointment.patient_id).where(
            Appointment.organization_id == org, Appointment.clinician_id == principal.clinician_id))
    return Patient.id.in_(select(PatientRegistration.patient_id).where(PatientRegistration.organization_id == org))


def _appointment_scope(principal: Principal) -> ColumnElement[bool]:
    """Which of a visible patient's appointments the principal sees."""
    base = Appointment.organization_id == principal.organization_id
    if principal.only_own_clinician():
        return and_(base, Appointment.clinician_id == principal.clinician_id)
    centres = principal.centre_scope()
    if centres is None:
        return base
    return and_(base, Appointment.centre_id.in_(centres)) if centres else false()


async def visible(session: AsyncSession, principal: Principal, patient_id: int) -> Patient | None:
    stmt = select(Patient).where(Patient.id == patient_id, visible_condition(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


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
class PatientRow:
    """A patient as the staff lists show them: the person, their sign-in's username, their MRN here, and a summary
    of the appointments the caller sees (counts and the next one)."""

    patient: Patient
    mrn: str | None
    username: str | None
    upcoming_count: int
    past_count: int
    next_appointment: NextAppointment | None


_LOGIN = aliased(User, name="patient_login")
_DOCTOR = aliased(User, name="next_doctor")


def _base(principal: Principal, *columns: Any) -> Select:
    """Visible patients with their sign-in and their registration in the caller's organization joined."""
    return (select(*columns).select_from(Patient)
            .outerjoin(_LOGIN, _LOGIN.id == Patient.user_id)
            .outerjoin(PatientRegistration, and_(PatientRegistration.patient_id == Patient.id,
                                                 PatientRegistration.organization_id == principal.organization_id))
            .where(visible_condition(principal)))


def _search(stmt: Select, text: str | None, phone: str | None) -> Select:
    if phone:
        stmt = stmt.where(Patient.phone == phone)
    if text and text.strip():
        term = text.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [Patient.full_name.ilike(_like(term)), Patient.email.ilike(_like(term)),
                      _LOGIN.username.ilike(_like(term)), PatientRegistration.mrn.ilike(_like(term))]
        if len(digits) >= 3:
            conditions.append(Patient.phone.like(_like(digits)))
        stmt = stmt.where(or_(*conditions))
    return stmt


def _with_summary(principal: Principal, now: datetime) -> Select:
    """Patient rows with their appointment summary, all in one statement (two LATERAL subqueries per row)."""
    scope = _appointment_scope(principal)
    counts = (select(func.count().filter(appointment_queries.is_upcoming(now)).label("upcoming"),
                     func.count().filter(appointment_queries.is_past(now)).label("past"))
              .where(Appointment.patient_id == Patient.id, scope).lateral("appointment_counts"))
    following = (select(Appointment.id, Appointment.starts_at, Appointment.ends_at, Appointment.mode,
                        Appointment.kind, Appointment.status, _DOCTOR.full_name.label("clinician_name"),
                        Centre.name.label("centre_name"), Centre.timezone.label("centre_timezone"))
                 .join(Centre, Centre.id == Appointment.centre_id)
                 .join(Clinician, Clinician.id == Appointment.clinician_id)
                 .join(_DOCTOR, _DOCTOR.id == Clinician.user_id)
                 .where(Appointment.patient_id == Patient.id, scope, appointment_queries.is_upcoming(now))
                 .order_by(Appointment.starts_at, Appointment.id).limit(1).lateral("next_appointment"))
    return (_base(principal, Patient, _LOGIN.username, PatientRegistration.mrn, counts.c.upcoming, counts.c.past,
                  *following.c)
            .join(counts, true()).outerjoin(following, true()))


def _row(record: Any) -> PatientRow:
    patient, username, mrn, upcoming, past, *nxt = record
    following = NextAppointment(*nxt) if nxt[0] is not None else None
    return PatientRow(patient, mrn, username, upcoming, past, following)


async def search(session: AsyncSession, principal: Principal, *, text: str | None, phone: str | None,
                 limit: int, offset: int, now: datetime) -> tuple[list[PatientRow], int]:
    """One page of the visible patients matching the search (name, email, username, MRN, 3+ phone digits or the
    exact phone), by name, with their summaries; and how many match in all. Two statements, whatever the page size."""
    total = (await session.execute(select(func.count()).select_from(
        _search(_base(principal, Patient.id), text, phone).subquery()))).scalar_one()
    stmt = _search(_with_summary(principal, now), text, phone).order_by(Patient.full_name, Patient.id)
    rows = await session.execute(stmt.limit(limit).offset(offset))
    return [_row(r) for r in rows], total


async def row(session: AsyncSession, principal: Principal, patient_id: int, *, now: datetime) -> PatientRow | None:
    """One visible patient as the lists show them (None when out of scope or missing)."""
    found = (await session.execute(_with_summary(principal, now).where(Patient.id == patient_id))).first()
    return _row(found) if found is not None else None


async def register(session: AsyncSession, *, organization_id: int, patient_id: int, source: str) -> bool:
    """Register the patient with the organization; False when they already were (race-safe)."""
    stmt = insert(PatientRegistration).values(
        organization_id=organization_id, patient_id=patient_id, mrn=f"MRN{patient_id:07d}", source=source,
    ).on_conflict_do_nothing(constraint="uq_patient_registrations_org_patient").returning(PatientRegistration.id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def is_registered(session: AsyncSession, *, organization_id: int, patient_id: int) -> bool:
    return (await session.execute(select(PatientRegistration.id).where(
        PatientRegistration.organization_id == organization_id,
        PatientRegistration.patient_id == patient_id))).first() is not None


async def phone_in_use(session: AsyncSession, phone: str, *, except_patient_id: int) -> bool:
    """Another patient, or another patient sign-in, already has this phone (phones are global for patients)."""
    other_patient = select(Patient.id).where(Patient.phone == phone, Patient.id != except_patient_id)
    other_login = select(User.id).where(User.user_type == "PATIENT", User.phone == phone, User.is_deleted.is_(False),
                                        User.id.not_in(select(Patient.user_id).where(
                                            Patient.id == except_patient_id, Patient.user_id.is_not(None))))
    return (await session.execute(other_patient.union_all(other_login).limit(1))).first() is not None


async def login_of(session: AsyncSession, patient: Patient) -> User | None:
    if patient.user_id is None:
        return None
    return await session.get(User, patient.user_id)


async def save(session: AsyncSession, patient: Patient) -> Patient:
    await session.flush()
    await session.refresh(patient)  # updated_at is set by the database
    return patient


async def appointments_of(session: AsyncSession, principal: Principal, patient_id: int) -> list[dict[str, Any]]:
    """The patient's appointments the principal sees, newest first, with clinician and centre names."""
    clinician_user = select(User.full_name).where(User.id == Clinician.user_id).scalar_subquery()
    stmt = (select(Appointment, Centre.name.label("centre_name"), clinician_user.label("clinician_name"),
                   Centre.timezone.label("centre_timezone"))
            .join(Centre, Centre.id == Appointment.centre_id)
            .join(Clinician, Clinician.id == Appointment.clinician_id)
            .where(Appointment.patient_id == patient_id, _appointment_scope(principal))
            .order_by(Appointment.starts_at.desc().nulls_last(), Appointment.id.desc()))
    rows = await session.execute(stmt)
    return [{"appointment": r.Appointment, "centre_name": r.centre_name, "clinician_name": r.clinician_name,
             "centre_timezone": r.centre_timezone} for r in rows]


async def payments_of(session: AsyncSession, principal: Principal, patient_id: int) -> list[Payment]:
    """Payments for the patient in the organization; narrowed to the appointments the principal sees."""
    own_appointments = select(Appointment.id).where(Appointment.patient_id == patient_id,
                                                    _appointment_scope(principal))
    narrowed = principal.only_own_clinician() or principal.centre_scope() is not None
    condition = Payment.appointment_id.in_(own_appointments) if narrowed else true()
    if narrowed and not principal.only_own_clinician():
        condition = or_(condition, Payment.appointment_id.is_(None))
    stmt = (select(Payment).where(Payment.organization_id == principal.organization_id,
                                  Payment.patient_id == patient_id, condition)
            .order_by(Payment.created_at.desc(), Payment.id.desc()))
    return list((await session.execute(stmt)).scalars())


async def notes_of(session: AsyncSession, principal: Principal, patient_id: int) -> list[dict[str, Any]]:
    """Notes written in the organization; private notes only for their author."""
    stmt = (select(ClinicalNote, User.full_name.label("author_name"))
            .join(User, User.id == ClinicalNote.author_user_id)
            .where(ClinicalNote.organization_id == principal.organization_id, ClinicalNote.patient_id == patient_id,
                   or_(ClinicalNote.is_private.is_(False), ClinicalNote.author_user_id == principal.user_id))
            .order_by(ClinicalNote.created_at.desc(), ClinicalNote.id.desc()))
    rows = await session.execute(stmt)
    return [{"note": r.ClinicalNote, "author_name": r.author_name} for r in rows]


async def add_note(session: AsyncSession, note: ClinicalNote) -> ClinicalNote:
    session.add(note)
    await session.flush()
    await session.refresh(note)
    return note
