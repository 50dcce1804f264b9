"""All SQL of doctor–patient associations (``care_relationships``) as the clinic surface reads them. Statements
start from ``authz.scopes.doctor_records`` (whose lists the caller may open) and ``care_relationships``."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.patients.models import CareRelationship, Patient, PatientRegistration
from clinicops.patients.profile_repository import visit_stats, zone_of


@dataclass(frozen=True)
class AssociationRow:
    relationship: CareRelationship
    phone: str
    record: PatientRegistration
    last_visit_date: date | None
    total_visits: int
    zone: str | None = None  # the clinic's time zone (for ages), read with the rows


async def doctor(session: AsyncSession, principal: Principal, clinician_id: int) -> Clinician | None:
    stmt = select(Clinician).where(Clinician.id == clinician_id, Clinician.is_deleted.is_(False),
                                   scopes.doctor_records(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


def _active(principal: Principal, clinician_id: int) -> tuple[ColumnElement[bool], ...]:
    return (CareRelationship.clinician_id == clinician_id, CareRelationship.status == "ACTIVE",
            scopes.care_relationships(principal))


def _rows(principal: Principal, clinician_id: int, chosen: Select,
          extra: Callable[[Any], tuple[Any, ...]] = lambda picked: ()) -> Select:
    """The associations ``chosen`` (a statement of their ids) with the person, the clinic's record of them and
    the doctor's visits with them."""
    picked = chosen.subquery()
    count, last = visit_stats(principal, CareRelationship.patient_id, clinician_id=clinician_id)
    return (select(CareRelationship, Patient.phone, PatientRegistration, last, count,
                   zone_of(principal.organization_id), *extra(picked))
            .select_from(picked).join(CareRelationship, CareRelationship.id == picked.c.id)
            .join(Patient, Patient.id == CareRelationship.patient_id)
            .join(PatientRegistration, and_(PatientRegistration.patient_id == CareRelationship.patient_id,
                                            PatientRegistration.organization_id == CareRelationship.organization_id)))


_NEWEST = (CareRelationship.since.desc(), CareRelationship.id.desc())


async def page(session: AsyncSession, principal: Principal, clinician_id: int, *, limit: int,
               offset: int) -> tuple[list[AssociationRow], int]:
    """The doctor's patients, newest association first (``ix_care_relationships_doctor_active``), and how many;
    the page is chosen first (with the count of all, a window over the index), so the visit figures are counted
    for its rows only. A second statement counts only when the page is empty past the first."""
    def build() -> Select:
        chosen = (select(CareRelationship.id, func.count().over().label("total"))
                  .where(*_active(principal, clinician_id)).order_by(*_NEWEST).limit(limit).offset(offset))
        return (_rows(principal, clinician_id, chosen, lambda picked: (picked.c.total,)).order_by(*_NEWEST))

    stmt = scopes.reuse(principal, ("associations.page", clinician_id, limit, offset), build)
    rows = (await session.execute(stmt)).all()
    if rows:
        total = rows[0][-1]
    elif offset:
        total = (await session.execute(select(func.count()).select_from(CareRelationship)
                                       .where(*_active(principal, clinician_id)))).scalar_one()
    else:
        total = 0
    return [AssociationRow(*r[:-1]) for r in rows], total


async def one(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *,
              lock: bool = False) -> AssociationRow | None:
    chosen = select(CareRelationship.id).where(*_active(principal, clinician_id),
                                               CareRelationship.patient_id == patient_id)
    stmt = _rows(principal, clinician_id, chosen)
    if lock:
        stmt = stmt.with_for_update(of=CareRelationship)
    found = (await session.execute(stmt)).first()
    return AssociationRow(*found) if found is not None else None


async def any_of(session: AsyncSession, *, clinician_id: int, patient_id: int,
                 lock: bool = False) -> CareRelationship | None:
    """The pair's association in any status, unscoped (for a write whose caller has been checked)."""
    stmt = select(CareRelationship).where(CareRelationship.clinician_id == clinician_id,
                                          CareRelationship.patient_id == patient_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, relationship: CareRelationship) -> CareRelationship:
    session.add(relationship)
    await session.flush()
    await session.refresh(relationship)
    return relationship


async def save(session: AsyncSession, relationship: CareRelationship) -> CareRelationship:
    await session.flush()
    await session.refresh(relationship)
    return relationship
