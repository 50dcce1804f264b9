"""All SQL of patient data rights. Reads start from ``authz.scopes`` (a patient or visit outside the caller's
scope is not found); every statement is bound to the caller's organization, so one clinic's request never reads or
changes another clinic's rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User
from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations.models import Organization
from clinicops.patients import profile_repository as patient_records
from clinicops.patients.models import CareRelationship, Patient, PatientRegistration
from clinicops.privacy.models import ErasureRequest
from clinicops.visits.models import Visit

# Outbox rows whose sending is over: their text can go without changing what is still to be sent.
FINISHED_MESSAGES = ("SENT", "DELIVERED", "FAILED", "UNKNOWN")


async def readable_record(session: AsyncSession, principal: Principal, patient_id: int, *,
                          lock: bool = False) -> tuple[Patient, PatientRegistration] | None:
    """The person and the caller's clinic's record of them, when the caller may read it (the one rule of
    ``authz.scopes.patient_records``, applied by the patients' repository); ``lock``: the record, for a change."""
    return await patient_records.get(session, principal, patient_id, lock=lock)


async def organization(session: AsyncSession, organization_id: int) -> Organization:
    return (await session.execute(select(Organization).where(Organization.id == organization_id))).scalar_one()


async def associations(session: AsyncSession, organization_id: int,
                       patient_id: int) -> list[tuple[CareRelationship, str]]:
    """This clinic's doctor–patient associations of the patient, with each doctor's name, oldest first."""
    rows = await session.execute(
        select(CareRelationship, User.full_name)
        .join(Clinician, Clinician.id == CareRelationship.clinician_id)
        .join(User, User.id == Clinician.user_id)
        .where(CareRelationship.organization_id == organization_id, CareRelationship.patient_id == patient_id)
        .order_by(CareRelationship.since, CareRelationship.id))
    return [(care, name) for care, name in rows]


async def visits(session: AsyncSession, principal: Principal, patient_id: int) -> list[tuple[Visit, str]]:
    """The patient's visit records the caller may read (this clinic's only), with the doctor's name, by date."""
    rows = await session.execute(
        select(Visit, User.full_name)
        .join(Clinician, Clinician.id == Visit.clinician_id)
        .join(User, User.id == Clinician.user_id)
        .where(Visit.patient_id == patient_id, Visit.organization_id == principal.organization_id,
               scopes.visits(principal))
        .order_by(Visit.visit_date, Visit.id))
    return [(visit, name) for visit, name in rows]


async def last_visit_date(session: AsyncSession, organization_id: int, patient_id: int) -> date | None:
    """The patient's last visit at this clinic (every visit, whoever may read it: the retention clock)."""
    return await session.scalar(select(func.max(Visit.visit_date)).where(
        Visit.organization_id == organization_id, Visit.patient_id == patient_id))


async def erasures(session: AsyncSession, organization_id: int, patient_id: int) -> list[ErasureRequest]:
    return list((await session.execute(select(ErasureRequest).where(
        ErasureRequest.organization_id == organization_id, ErasureRequest.patient_id == patient_id)
        .order_by(ErasureRequest.id))).scalars())


async def end_associations(session: AsyncSession, organization_id: int, patient_id: int) -> int:
    """Ends this clinic's associations with the patient and drops their non-clinical content."""
    result = await session.execute(
        update(CareRelationship)
        .where(CareRelationship.organization_id == organization_id, CareRelationship.patient_id == patient_id)
        .values(status="INACTIVE", preferences={}, notes=None, updated_at=func.now()))
    return result.rowcount or 0


async def blank_sent_messages(session: AsyncSession, organization_id: int, patient_id: int) -> int:
    """Removes the text of this clinic's finished messages to the patient (the delivery record stays)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.organization_id == organization_id, OutboxMessage.patient_id == patient_id,
               OutboxMessage.status.in_(FINISHED_MESSAGES))
        .values(body="", params={}, recipient_name=None, updated_at=func.now()))
    return result.rowcount or 0


async def clear_contact_details(session: AsyncSession, organization_id: int, patient_id: int) -> None:
    """Drops the contact details this clinic recorded for the patient (its own registration's profile)."""
    await session.execute(
        update(PatientRegistration)
        .where(PatientRegistration.organization_id == organization_id, PatientRegistration.patient_id == patient_id)
        .values(address=None, emergency_contact=None, updated_at=func.now()))


def add_erasure(session: AsyncSession, *, organization_id: int, patient_id: int, user_id: int, reason: str | None,
                erased: list[str], retained: list[str], retain_until: date | None,
                at: datetime) -> ErasureRequest:
    request = ErasureRequest(organization_id=organization_id, patient_id=patient_id, requested_by_user_id=user_id,
                             reason=reason, erased=erased, retained=retained, retain_until=retain_until,
                             created_at=at)
    session.add(request)
    return request
