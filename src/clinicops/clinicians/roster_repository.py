"""The SQL of a clinic's doctor roster: its one centre, its doctors with their logins, a login by phone.

Every statement is filtered by the organization (a clinic); a soft-deleted clinician (the hospital surface's
delete) is never part of a roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.organizations.models import Centre, Organization


@dataclass(frozen=True)
class ClinicPlace:
    """What adding a doctor needs to know about the clinic."""

    organization_id: int
    name: str
    centre_id: int
    timezone: str  # the centre's: its doctors' hours are wall-clock there
    working_days: tuple[int, ...]


async def clinic_place(session: AsyncSession, organization_id: int) -> ClinicPlace | None:
    """The clinic and its one centre (the oldest live one), or None when the organization is not a clinic."""
    row = (await session.execute(
        select(Organization.name, Organization.working_days, Centre.id, Centre.timezone)
        .join(Centre, Centre.organization_id == Organization.id)
        .where(Organization.id == organization_id, Organization.kind == "CLINIC", Centre.is_deleted.is_(False))
        .order_by(Centre.id).limit(1))).first()
    if row is None:
        return None
    return ClinicPlace(organization_id, row.name, row.id, row.timezone, tuple(sorted(row.working_days or ())))


def _roster(organization_id: int):
    return (select(Clinician, User).join(User, User.id == Clinician.user_id)
            .where(Clinician.organization_id == organization_id, Clinician.is_deleted.is_(False),
                   User.is_deleted.is_(False)))


async def doctors(session: AsyncSession, organization_id: int, *,
                  clinician_id: int | None = None) -> list[tuple[Clinician, User]]:
    """The clinic's doctors (removed ones too) with their logins, by name; or just ``clinician_id``."""
    stmt = _roster(organization_id)
    if clinician_id is not None:
        stmt = stmt.where(Clinician.id == clinician_id)
    stmt = stmt.order_by(User.full_name, Clinician.id).execution_options(populate_existing=True)
    return [(c, u) for c, u in (await session.execute(stmt)).all()]


async def doctor_for_update(session: AsyncSession, organization_id: int,
                            clinician_id: int) -> tuple[Clinician, User] | None:
    """One doctor and their login, both rows locked (changes to one doctor are serialised)."""
    stmt = (_roster(organization_id).where(Clinician.id == clinician_id)
            .with_for_update(of=(Clinician, User)).execution_options(populate_existing=True))
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def staff_with_phone(session: AsyncSession, organization_id: int,
                           phone: str) -> tuple[User, Clinician | None] | None:
    """The live staff login of the clinic with this phone, and its clinician profile if it has one."""
    row = (await session.execute(
        select(User, Clinician).outerjoin(Clinician, Clinician.user_id == User.id)
        .where(User.organization_id == organization_id, User.user_type == "STAFF", User.phone == phone,
               User.is_deleted.is_(False)).limit(1))).first()
    return None if row is None else (row[0], row[1])


_MONTH_SQL = text(f"""
SELECT count(DISTINCT a.patient_id) AS patients, count(*) AS consultations,
       (SELECT coalesce(sum(p.amount_paise - p.refunded_paise), 0) FROM payments p JOIN appointments pa
            ON pa.id = p.appointment_id
         WHERE pa.organization_id = :org AND pa.clinician_id = :clinician AND p.status = 'SUCCESS'
           AND p.paid_at >= :starts AND p.paid_at < :ends) AS revenue_paise
  FROM appointments a
 WHERE a.organization_id = :org AND a.clinician_id = :clinician AND a.starts_at >= :starts AND a.starts_at < :ends
   AND a.status NOT IN ({", ".join(f"'{s}'" for s in RELEASED_STATUSES)})
""")


async def month_figures(session: AsyncSession, organization_id: int, clinician_id: int, starts: datetime,
                        ends: datetime) -> tuple[int, int, int]:
    """(patients, consultations, revenue in paise net of refunds) of the doctor in ``[starts, ends)``."""
    row = (await session.execute(_MONTH_SQL, {"org": organization_id, "clinician": clinician_id,
                                              "starts": starts, "ends": ends})).one()
    return int(row.patients), int(row.consultations), int(row.revenue_paise)
