from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User, UserRole
from clinicops.auth.passwords import hash_password
from clinicops.auth.tokens import issue_access_token
from clinicops.config import get_settings
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient, PatientRegistration

_seq = itertools.count(100)
_PASSWORD_HASH = hash_password("Passw0rd!")
PASSWORD = "Passw0rd!"


def next_phone() -> str:
    """A fresh valid Indian mobile number in E.164."""
    return f"+9198{next(_seq):08d}"


async def make_staff(db: AsyncSession, *, org: Organization, role: str = "ADMIN", centres: list[Centre] | None = None,
                     phone: str | None = None, username: str | None = None, full_name: str = "Staff Member",
                     password_hash: str | None = _PASSWORD_HASH, is_active: bool = True, **fields) -> User:
    user = User(organization_id=org.id, user_type="STAFF", phone=phone or next_phone(),
                username=username, full_name=full_name, password_hash=password_hash, is_active=is_active, **fields)
    db.add(user)
    await db.flush()
    for centre in centres or [None]:
        db.add(UserRole(user_id=user.id, role=role, centre_id=centre.id if centre else None))
    await db.flush()
    return user


async def make_patient(db: AsyncSession, *, org: Organization | None = None, phone: str | None = None,
                       first_name: str = "Asha", last_name: str = "Rao", with_login: bool = True,
                       **fields) -> Patient:
    phone = phone or next_phone()
    user = None
    if with_login:
        user = User(organization_id=None, user_type="PATIENT", phone=phone, full_name=f"{first_name} {last_name}")
        db.add(user)
        await db.flush()
    patient = Patient(user_id=user.id if user else None, phone=phone, first_name=first_name, last_name=last_name,
                      full_name=f"{first_name} {last_name}", **fields)
    db.add(patient)
    await db.flush()
    if org is not None:
        db.add(PatientRegistration(organization_id=org.id, patient_id=patient.id, mrn=f"MRN{patient.id:06d}"))
        await db.flush()
    return patient


def bearer(user: User) -> dict[str, str]:
    """Authorization header for ``user`` without going through a sign-in endpoint."""
    token, _ = issue_access_token(get_settings(), user_id=user.id, user_type=user.user_type,
                                  token_version=user.token_version or 0, session_family=None)
    return {"Authorization": f"Bearer {token}"}
