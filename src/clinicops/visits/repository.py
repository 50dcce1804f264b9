"""All SQL of visit records. Every caller-facing statement starts from ``authz.scopes.visits`` (and a visit's
notes from ``authz.scopes.visit_notes``), so a visit the caller may not read is simply not found."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User
from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.patients.models import ClinicalNote, Patient, PatientRegistration
from clinicops.visits.models import Visit


@dataclass(frozen=True)
class VisitRow:
    """A visit with whom it is about, as the visit's clinic recorded them, and its doctor's name."""

    visit: Visit
    patient_phone: str
    patient_name: str | None
    doctor_name: str


async def get(session: AsyncSession, principal: Principal, visit_id: int, *, lock: bool = False) -> Visit | None:
    stmt = select(Visit).where(Visit.id == visit_id, scopes.visits(principal))
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def detail(session: AsyncSession, principal: Principal, visit_id: int) -> VisitRow | None:
    stmt = (select(Visit, Patient.phone, PatientRegistration.full_name, User.full_name)
            .join(Patient, Patient.id == Visit.patient_id)
            .outerjoin(PatientRegistration, and_(PatientRegistration.patient_id == Visit.patient_id,
                                                 PatientRegistration.organization_id == Visit.organization_id))
            .join(Clinician, Clinician.id == Visit.clinician_id)
            .join(User, User.id == Clinician.user_id)
            .where(Visit.id == visit_id, scopes.visits(principal)))
    found = (await session.execute(stmt)).first()
    return VisitRow(*found) if found is not None else None


async def page(session: AsyncSession, principal: Principal, *, clinician_id: int, patient_id: int, limit: int,
               offset: int) -> tuple[list[Visit], int]:
    """One doctor's visits with one patient, newest first (``ix_visits_clinician_patient_date``), and how many."""
    scope = (Visit.clinician_id == clinician_id, Visit.patient_id == patient_id, scopes.visits(principal))
    total = (await session.execute(select(func.count()).select_from(Visit).where(*scope))).scalar_one()
    rows = await session.execute(select(Visit).where(*scope).order_by(Visit.visit_date.desc(), Visit.id.desc())
                                 .limit(limit).offset(offset))
    return list(rows.scalars()), total


async def notes(session: AsyncSession, principal: Principal, visit_id: int) -> list[ClinicalNote]:
    """The notes on the visit the caller may read, oldest first."""
    stmt = (select(ClinicalNote).where(ClinicalNote.visit_id == visit_id, scopes.visit_notes(principal))
            .order_by(ClinicalNote.created_at, ClinicalNote.id))
    return list((await session.execute(stmt)).scalars())


async def add(session: AsyncSession, row: Visit | ClinicalNote) -> Visit | ClinicalNote:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def save(session: AsyncSession, visit: Visit) -> Visit:
    await session.flush()
    await session.refresh(visit)  # updated_at is set by the database
    return visit
