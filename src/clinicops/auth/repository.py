"""Identity lookups: the access-token check (one round trip on a cache miss) and the sign-in lookups."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import SignInRequest, User
from clinicops.patients.models import Patient

_IDENTITY_SQL = text("""
SELECT u.id, u.user_type, u.organization_id, u.is_active, u.is_deleted, u.token_version, u.full_name,
       u.must_change_password, u.phone,
       (SELECT o.kind FROM organizations o WHERE o.id = u.organization_id) AS organization_kind,
       (SELECT c.id FROM clinicians c WHERE c.user_id = u.id AND NOT c.is_deleted) AS clinician_id,
       (SELECT p.id FROM patients p WHERE p.user_id = u.id) AS patient_id,
       (SELECT coalesce(json_agg(json_build_array(r.role, r.centre_id)), '[]'::json)
          FROM user_roles r WHERE r.user_id = u.id) AS roles,
       (SELECT max(s.expires_at) FROM auth_sessions s WHERE s.family_id = CAST(:family AS uuid)
           AND s.revoked_at IS NULL) AS session_expires_at
  FROM users u WHERE u.id = :user_id
""")


@dataclass(frozen=True)
class IdentityRow:
    user_id: int
    user_type: str
    organization_id: int | None
    is_active: bool
    is_deleted: bool
    token_version: int
    full_name: str
    clinician_id: int | None
    patient_id: int | None
    roles: list[tuple[str, int | None]]
    session_family: str | None
    session_expires_at: datetime | None  # the family's latest unrevoked expiry; None: no live session
    must_change_password: bool = False
    organization_kind: str | None = None  # CHAIN or CLINIC; None for patients
    phone: str = ""

    def session_live_at(self, now: datetime) -> bool:
        """A token without a session family names none to check; otherwise the family must be unrevoked and
        unexpired (expiry is judged at each use, so a cached identity cannot outlive its session)."""
        if self.session_family is None:
            return True
        return self.session_expires_at is not None and self.session_expires_at > now


async def load_identity(session: AsyncSession, user_id: int, session_family: str | None) -> IdentityRow | None:
    row = (await session.execute(_IDENTITY_SQL, {"user_id": user_id, "family": session_family})).one_or_none()
    if row is None:
        return None
    roles: Any = row.roles
    if isinstance(roles, str):
        roles = json.loads(roles)
    return IdentityRow(
        user_id=row.id, user_type=row.user_type, organization_id=row.organization_id, is_active=row.is_active,
        is_deleted=row.is_deleted, token_version=row.token_version, full_name=row.full_name,
        clinician_id=row.clinician_id, patient_id=row.patient_id,
        roles=[(r[0], r[1]) for r in roles], session_family=session_family,
        session_expires_at=row.session_expires_at, must_change_password=row.must_change_password,
        organization_kind=row.organization_kind, phone=row.phone,
    )


async def roles_of(session: AsyncSession, user_id: int) -> list[tuple[str, int | None]]:
    rows = await session.execute(text("SELECT role, centre_id FROM user_roles WHERE user_id = :u ORDER BY id"),
                                 {"u": user_id})
    return [(r.role, r.centre_id) for r in rows]


async def clinician_id_of(session: AsyncSession, user_id: int) -> int | None:
    return (await session.execute(text("SELECT id FROM clinicians WHERE user_id = :u AND NOT is_deleted"),
                                  {"u": user_id})).scalar_one_or_none()


# --- sign-in lookups (soft-deleted accounts never sign in) ---

async def staff_by_phone(session: AsyncSession, organization_id: int, phone: str) -> User | None:
    return (await session.execute(select(User).where(
        User.organization_id == organization_id, User.user_type == "STAFF", User.phone == phone,
        User.is_deleted.is_(False)))).scalar_one_or_none()


async def patient_user_by_phone(session: AsyncSession, phone: str) -> User | None:
    return (await session.execute(select(User).where(
        User.user_type == "PATIENT", User.phone == phone, User.is_deleted.is_(False)))).scalar_one_or_none()


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    """Usernames are unique across every organization, case-insensitively."""
    return (await session.execute(select(User).where(
        func.lower(User.username) == username.lower(), User.is_deleted.is_(False)))).scalar_one_or_none()


async def patient_of_user(session: AsyncSession, user_id: int) -> Patient | None:
    return (await session.execute(select(Patient).where(Patient.user_id == user_id))).scalar_one_or_none()


# --- the clinic surface's two-step requests ---

async def add_sign_in_request(session: AsyncSession, request: SignInRequest) -> SignInRequest:
    session.add(request)
    await session.flush()
    return request


async def sign_in_request(session: AsyncSession, request_id: int, kind: str) -> SignInRequest | None:
    """The request, locked (two verifications of one request queue up; the second finds it completed)."""
    return (await session.execute(select(SignInRequest).where(
        SignInRequest.id == request_id, SignInRequest.kind == kind).with_for_update())).scalar_one_or_none()


async def newest_sign_in_request_id(session: AsyncSession, phone: str, kind: str) -> int | None:
    return (await session.execute(select(SignInRequest.id).where(
        SignInRequest.phone == phone, SignInRequest.kind == kind)
        .order_by(SignInRequest.created_at.desc(), SignInRequest.id.desc()).limit(1))).scalar_one_or_none()
