"""All SQL of the staff view of patients: patient rows only. Every query starts from what the principal may see
(``authz.scopes.patients``: desk roles every patient registered with their organization, a clinician their own
patients). The appointments and payments of a record are read above this package (``appointments.records``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clinicops.auth.models import User
from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.kit.search import contains_pattern
from clinicops.patients.models import ClinicalNote, Patient, PatientRegistration, mrn_of


async def visible(session: AsyncSession, principal: Principal, patient_id: int) -> Patient | None:
    stmt = select(Patient).where(Patient.id == patient_id, scopes.patients(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class PatientRow:
    """A patient as the staff lists show them: the person, their sign-in's username, their MRN here."""

    patient: Patient
    mrn: str | None
    username: str | None


_LOGIN = aliased(User, name="patient_login")


def _base(principal: Principal, *columns: Any) -> Select:
    """Visible patients with their sign-in and their registration in the caller's organization joined."""
    return (select(*columns).select_from(Patient)
            .outerjoin(_LOGIN, _LOGIN.id == Patient.user_id)
            .outerjoin(PatientRegistration, and_(PatientRegistration.patient_id == Patient.id,
                                                 PatientRegistration.organization_id == principal.organization_id))
            .where(scopes.patients(principal)))


_COLUMNS = (Patient, _LOGIN.username, PatientRegistration.mrn)


def _search(stmt: Select, text: str | None, phone: str | None) -> Select:
    if phone:
        stmt = stmt.where(Patient.phone == phone)
    if text and text.strip():
        term = text.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [Patient.full_name.ilike(contains_pattern(term)), Patient.email.ilike(contains_pattern(term)),
                      _LOGIN.username.ilike(contains_pattern(term)), PatientRegistration.mrn.ilike(contains_pattern(term))]
        if len(digits) >= 3:
            conditions.append(Patient.phone.like(contains_pattern(digits)))
        stmt = stmt.where(or_(*conditions))
    return stmt


def _row(record: Any) -> PatientRow:
    patient, username, mrn = record
    return PatientRow(patient, mrn, username)


async def search(session: AsyncSession, principal: Principal, *, text: str | None, phone: str | None,
                 limit: int, offset: int) -> tuple[list[PatientRow], int]:
    """One page of the visible patients matching the search (name, email, username, MRN, 3+ phone digits or the
    exact phone), by name; and how many match in all. Two statements, whatever the page size."""
    total = (await session.execute(select(func.count()).select_from(
        _search(_base(principal, Patient.id), text, phone).subquery()))).scalar_one()
    stmt = _search(_base(principal, *_COLUMNS), text, phone).order_by(Patient.full_name, Patient.id)
    rows = await session.execute(stmt.limit(limit).offset(offset))
    return [_row(r) for r in rows], total


async def row(session: AsyncSession, principal: Principal, patient_id: int) -> PatientRow | None:
    """One visible patient as the lists show them (None when out of scope or missing)."""
    found = (await session.execute(_base(principal, *_COLUMNS).where(Patient.id == patient_id))).first()
    return _row(found) if found is not None else None


async def register(session: AsyncSession, *, organization_id: int, patient_id: int, source: str | None) -> bool:
    """Register the patient with the organization; False when they already were (race-safe)."""
    stmt = insert(PatientRegistration).values(
        organization_id=organization_id, patient_id=patient_id, mrn=mrn_of(patient_id), source=source,
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


async def notes_of(session: AsyncSession, principal: Principal, patient_id: int) -> list[dict[str, Any]]:
    """Notes written in the organization; private notes only for their author."""
    stmt = (select(ClinicalNote, User.full_name.label("author_name"))
            .join(User, User.id == ClinicalNote.author_user_id)
            .where(ClinicalNote.organization_id == principal.organization_id, ClinicalNote.patient_id == patient_id,
                   ClinicalNote.visit_id.is_(None),  # a visit's notes are read with the visit (visits/)
                   or_(ClinicalNote.is_private.is_(False), ClinicalNote.author_user_id == principal.user_id))
            .order_by(ClinicalNote.created_at.desc(), ClinicalNote.id.desc()))
    rows = await session.execute(stmt)
    return [{"note": r.ClinicalNote, "author_name": r.author_name} for r in rows]


async def add_note(session: AsyncSession, note: ClinicalNote) -> ClinicalNote:
    session.add(note)
    await session.flush()
    await session.refresh(note)
    return note
