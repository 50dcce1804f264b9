"""Refresh-token sessions (DESIGN invariant 6).

One ``auth_sessions`` row per refresh token, stored only as its sha256. ``family_id`` groups one sign-in and
every token rotated from it; access tokens carry it as ``sid`` and stop working once the family is revoked.
Expiry is absolute: seven days from sign-in, kept by every rotated token.

Two policies:
- ROTATING (clinic surface): a refresh returns a new refresh token and marks the old one used; presenting a used
  token again is theft or a replay, so the whole family is revoked.
- STATIC (hospital surface, whose shipped clients never store a rotated token): a refresh returns only an access
  token; the refresh token serves until it expires or is revoked (logout, deactivation, password change).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import tokens
from clinicops.auth.exceptions import InvalidRefreshToken, WrongAccountType
from clinicops.auth.models import AuthSession, User
from clinicops.auth.repository import IdentityRow, load_identity
from clinicops.authz import clinic_roles
from clinicops.config import get_settings
from clinicops.db import keep_changes_on_error
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger

log = get_logger("clinicops.auth.sessions")

ROTATING = "ROTATING"
STATIC = "STATIC"
HOSPITAL = "hospital"
CLINIC = "clinic"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None  # None when a STATIC refresh keeps the caller's token
    refresh_expires_at: datetime
    family_id: str
    identity: IdentityRow  # the signed-in user as the access token describes them (roles, clinician id)


def subject_of(identity: IdentityRow, surface: str = HOSPITAL) -> tokens.Subject:
    """Who the access token says the user is (the database stays the authority on each request); a clinic
    session's token also says it as section 3.2 of the clinic guide does."""
    roles = sorted({name for name, _ in identity.roles})
    clinic = None
    if surface == CLINIC and identity.organization_id is not None:
        role = clinic_roles.clinic_role(roles)
        clinic = tokens.ClinicSubject(
            user_id=identity.user_id, clinic_id=identity.organization_id, role=role, doctor_id=identity.clinician_id,
            whatsapp_number=identity.phone, permissions=clinic_roles.permissions(role),
            patient_access_scope=clinic_roles.patient_access_scope(role))
    return tokens.Subject(roles=roles, organization_id=identity.organization_id,
                          clinician_id=identity.clinician_id, patient_id=identity.patient_id, clinic=clinic)


async def _live_identity(session: AsyncSession, user_id: int, user_type: str | None) -> IdentityRow:
    identity = await load_identity(session, user_id, None)
    if identity is None or not identity.is_active or identity.is_deleted:
        raise InvalidRefreshToken()
    if user_type is not None and identity.user_type != user_type:
        raise WrongAccountType(user_type)
    return identity


def _access_token(identity: IdentityRow, family_id: str, surface: str) -> tuple[str, datetime]:
    return tokens.issue_access_token(get_settings(), user_id=identity.user_id, user_type=identity.user_type,
                                     token_version=identity.token_version, session_family=family_id,
                                     subject=subject_of(identity, surface))


async def _new_row(session: AsyncSession, *, user_id: int, family_id: str, expires_at: datetime, policy: str,
                   surface: str, parent_id: int | None, user_agent: str | None, ip: str | None) -> str:
    refresh = tokens.issue_refresh_token(get_settings(), user_id=user_id, session_family=family_id,
                                         expires_at=expires_at)
    session.add(AuthSession(user_id=user_id, family_id=uuid.UUID(family_id), parent_id=parent_id,
                            token_hash=tokens.token_hash(refresh), policy=policy, surface=surface,
                            expires_at=expires_at, user_agent=(user_agent or "")[:300] or None,
                            ip=(ip or "")[:64] or None))
    await session.flush()
    return refresh


async def start(session: AsyncSession, user: User, *, policy: str, surface: str, user_agent: str | None = None,
                ip: str | None = None) -> Tokens:
    """A new sign-in: a new family with its first refresh token, and an access token bound to it."""
    family_id = str(uuid.uuid4())
    # Whole seconds, so the JWT's exp and the row's expiry are the same instant.
    expires_at = (utcnow() + timedelta(seconds=get_settings().jwt_refresh_ttl)).replace(microsecond=0)
    refresh = await _new_row(session, user_id=user.id, family_id=family_id, expires_at=expires_at, policy=policy,
                             surface=surface, parent_id=None, user_agent=user_agent, ip=ip)
    identity = await _live_identity(session, user.id, None)
    access, access_expires_at = _access_token(identity, family_id, surface)
    return Tokens(access, access_expires_at, refresh, expires_at, family_id, identity)


async def _row_for(session: AsyncSession, refresh_token: str, surface: str) -> AuthSession:
    try:
        claims = tokens.decode_refresh_token(get_settings(), refresh_token)
    except tokens.InvalidToken:
        raise InvalidRefreshToken() from None
    row = (await session.execute(select(AuthSession).where(
        AuthSession.token_hash == tokens.token_hash(refresh_token)).with_for_update())).scalar_one_or_none()
    if (row is None or row.surface != surface or str(row.user_id) != claims.get("sub")
            or str(row.family_id) != claims.get("sid")):
        raise InvalidRefreshToken()
    return row


async def refresh(session: AsyncSession, refresh_token: str, *, surface: str, user_type: str | None = None,
                  user_agent: str | None = None, ip: str | None = None) -> Tokens:
    """Exchange a refresh token for a new access token (and, under ROTATING, a new refresh token).

    The access token is built from the identity as it is now (roles, clinician id), never copied from the old
    token, so a refreshed clinician keeps their clinician id. ``user_type`` refuses the other kind of account.
    """
    row = await _row_for(session, refresh_token, surface)
    if row.revoked_at is not None or row.expires_at <= utcnow():
        raise InvalidRefreshToken()
    family_id = str(row.family_id)
    identity = await _live_identity(session, row.user_id, user_type)
    if row.policy == ROTATING:
        if row.used_at is not None:
            await revoke_family(session, family_id, "reuse_detected")
            keep_changes_on_error(session)
            log.warning("refresh_token_reuse", user_id=row.user_id, family=family_id)
            raise InvalidRefreshToken()
        row.used_at = utcnow()
        new_refresh = await _new_row(session, user_id=row.user_id, family_id=family_id, expires_at=row.expires_at,
                                     policy=ROTATING, surface=surface, parent_id=row.id, user_agent=user_agent,
                                     ip=ip)
    else:
        new_refresh = None
    access, access_expires_at = _access_token(identity, family_id, surface)
    return Tokens(access, access_expires_at, new_refresh, row.expires_at, family_id, identity)


async def family_of(session: AsyncSession, refresh_token: str, surface: str) -> str | None:
    """The family of one of our refresh tokens, or None (logout by refresh token)."""
    try:
        row = await _row_for(session, refresh_token, surface)
    except InvalidRefreshToken:
        return None
    return str(row.family_id)


async def revoke_family(session: AsyncSession, family_id: str, reason: str) -> None:
    await session.execute(update(AuthSession).where(AuthSession.family_id == uuid.UUID(family_id),
                                                    AuthSession.revoked_at.is_(None))
                          .values(revoked_at=utcnow(), revoked_reason=reason[:40]))


async def revoke_all_for_user(session: AsyncSession, user_id: int, reason: str) -> None:
    """End every session of the user and invalidate access tokens already issued (token_version)."""
    await session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                          .values(revoked_at=utcnow(), revoked_reason=reason[:40]))
    await session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
