"""All SQL of the staff view of patients. Every query starts from what the principal may see:

- desk roles: patients registered with the caller's organization;
- a clinician (with no desk role): patients who have an appointment with them.
Appointments and payments inside a record are narrowed the same way (own appointments for a clinician, the
caller's centres for a centre-bound role).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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


def _search(principal: Principal, text: str | None, phone: str | None) -> Select:
    stmt = select(Patient).where(visible_condition(principal))
    if phone:
        stmt = stmt.where(Patient.phone == phone)
    if text and text.strip():
        term = text.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [Patient.full_name.ilike(_like(term)), Patient.email.ilike(_like(term))]
        if len(digits) >= 3:
            conditions.append(Patient.phone.like(_like(digits)))
        stmt = stmt.where(or_(*conditions))
    return stmt


async def search(session: AsyncSession, principal: Principal, *, text: str | None, phone: str | None,
                 limit: int, offset: int) -> tuple[list[Patient], int]:
    stmt = _search(principal, text, phone)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(Patient.full_name, Patient.id).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def mrns(session: AsyncSession, organization_id: int, patient_ids: list[int]) -> dict[int, str]:
    if not patient_ids:
        return {}
    rows = await session.execute(select(PatientRegistration.patient_id, PatientRegistration.mrn).where(
        PatientRegistration.organization_id == organization_id, PatientRegistration.patient_id.in_(patient_ids)))
    return {patient_id: mrn for patient_id, mrn in rows}


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
