"""Finding and registering patients by phone: one person per phone number, registered per organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User
from clinicops.patients import repository
from clinicops.patients.models import Patient, PatientRegistration


def full_name_of(first_name: str | None, last_name: str | None, fallback: str = "") -> str:
    name = " ".join(part.strip() for part in (first_name, last_name) if part and part.strip())
    return name or fallback


async def by_phone(session: AsyncSession, phone: str) -> Patient | None:
    return (await session.execute(select(Patient).where(Patient.phone == phone))).scalar_one_or_none()


async def ensure_login(session: AsyncSession, patient: Patient) -> User:
    """The PATIENT user that signs this patient in (created on first need)."""
    if patient.user_id is not None:
        user = await session.get(User, patient.user_id)
        if user is not None:
            return user
    user = (await session.execute(select(User).where(
        User.user_type == "PATIENT", User.phone == patient.phone, User.is_deleted.is_(False)))).scalar_one_or_none()
    if user is None:
        user = User(organization_id=None, user_type="PATIENT", phone=patient.phone, full_name=patient.full_name,
                    email=patient.email)
        session.add(user)
        await session.flush()
    patient.user_id = user.id
    await session.flush()
    return user


async def find_or_create(session: AsyncSession, *, phone: str, organization_id: int | None,
                         first_name: str | None = None, last_name: str | None = None, email: str | None = None,
                         source: str | None = None, with_login: bool = True) -> tuple[Patient, bool]:
    """The patient with this E.164 phone, created if unknown; registered with ``organization_id`` if given.

    Returns ``(patient, created)``. Existing details are never overwritten here (that is a profile update).
    Concurrent calls for one phone end with one patient (the unique phone index decides).
    """
    created = False
    patient = await by_phone(session, phone)
    if patient is None:
        stmt = insert(Patient).values(
            phone=phone, first_name=first_name, last_name=last_name, email=email,
            full_name=full_name_of(first_name, last_name),
        ).on_conflict_do_nothing(index_elements=["phone"]).returning(Patient.id)
        new_id = (await session.execute(stmt)).scalar_one_or_none()
        created = new_id is not None
        patient = await by_phone(session, phone)
        assert patient is not None
    if with_login:
        await ensure_login(session, patient)
    if organization_id is not None:
        await ensure_registration(session, organization_id=organization_id, patient_id=patient.id, source=source)
    return patient, created


async def ensure_registration(session: AsyncSession, *, organization_id: int, patient_id: int,
                              source: str | None = None) -> PatientRegistration:
    """The patient's registration with the organization, made on first need (race-safe)."""
    stmt = select(PatientRegistration).where(PatientRegistration.organization_id == organization_id,
                                             PatientRegistration.patient_id == patient_id)
    existing = (await session.execute(stmt)).scalar_one_or_none()
    if existing is not None:
        return existing
    await repository.register(session, organization_id=organization_id, patient_id=patient_id, source=source)
    return (await session.execute(stmt)).scalar_one()


