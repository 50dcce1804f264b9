"""Sign-in use cases of the clinic surface (/api/v1/auth, guide sections 5.4 and 6.1).

Login and password reset take two steps. Step one names the clinic and the WhatsApp number and answers with a
request id; the code goes out only if the number belongs to an active admin or doctor of that clinic, and the
answer is the same either way (DESIGN invariant 7). Step two brings the request id back with the code (and the
password, or a new one). A code serves only the newest request of its phone and kind, so the same phone at two
clinics can never use one clinic's code for the other. Sessions are ROTATING (a reused refresh token revokes its
family) and their access tokens carry the clinic claims of section 3.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import otp, ratelimit, repository, sessions
from clinicops.auth.exceptions import AccountDisabled, InvalidCredentials, InvalidOtp
from clinicops.auth.models import SignInRequest, User
from clinicops.auth.passwords import hash_password
from clinicops.auth.repository import IdentityRow
from clinicops.auth.service import Client, admit_attempt, verify_secret
from clinicops.authz.principal import Principal, Role
from clinicops.config import get_settings
from clinicops.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.organizations import clinics
from clinicops.organizations.models import Organization

log = get_logger("clinicops.auth.clinic")

LOGIN = "LOGIN"
PASSWORD_RESET = "PASSWORD_RESET"
REGISTRATION = "REGISTRATION"
_PURPOSE = {LOGIN: otp.CLINIC_LOGIN, PASSWORD_RESET: otp.CLINIC_RESET, REGISTRATION: otp.CLINIC_REGISTRATION}
PASSWORD_MIN = 8


@dataclass(frozen=True)
class CodeSent:
    request: SignInRequest
    expires_in: int  # seconds


@dataclass(frozen=True)
class ClinicSignIn:
    user: User
    clinic: Organization
    tokens: sessions.Tokens

    @property
    def identity(self) -> IdentityRow:
        return self.tokens.identity


def check_new_password(password: str, field: str = "new_password") -> str:
    if len(password or "") < PASSWORD_MIN:
        raise ValidationFailed(field, f"{field} must be at least {PASSWORD_MIN} characters")
    return password


def is_member(identity: IdentityRow | None) -> bool:
    """An active admin, or an active doctor with a live profile, of the identity's clinic."""
    if identity is None or not identity.is_active or identity.is_deleted or identity.organization_kind != "CLINIC":
        return False
    roles = {name for name, _ in identity.roles}
    return Role.ADMIN in roles or (Role.CLINICIAN in roles and identity.clinician_id is not None)


# --- the two-step requests ---

async def open_request(session: AsyncSession, *, kind: str, clinic: Organization, phone: str, user: User | None,
                       client: Client) -> CodeSent:
    """Record step one and issue a code for ``phone``, sent only when ``user`` is given (limits apply either way)."""
    expires_in = await otp.send(session, phone=phone, purpose=_PURPOSE[kind], ip=client.ip,
                                organization_id=clinic.id, organization_name=clinic.name, deliver=user is not None)
    request = await repository.add_sign_in_request(session, SignInRequest(
        kind=kind, organization_id=clinic.id, user_id=user.id if user else None, phone=phone,
        expires_at=utcnow() + otp.TTL, ip=client.ip[:64]))
    return CodeSent(request, expires_in)


async def take_request(session: AsyncSession, *, kind: str, request_id: int, code: str,
                       client: Client) -> SignInRequest:
    """The request, if ``code`` is its live code; the request is completed (one use). An unknown id is 404; a
    used, expired or superseded request, or a wrong code, is the same INVALID_OTP."""
    await admit_attempt(session, client, None)
    request = await repository.sign_in_request(session, request_id, kind)
    if request is None:
        raise NotFound("This request does not exist; start again")
    if (request.completed_at is not None or request.expires_at <= utcnow()
            or await repository.newest_sign_in_request_id(session, request.phone, kind) != request.id):
        raise InvalidOtp()
    await otp.verify(session, phone=request.phone, purpose=_PURPOSE[kind], code=code)
    request.completed_at = utcnow()
    await session.flush()
    return request


async def _member_by_phone(session: AsyncSession, clinic: Organization, phone: str) -> User | None:
    user = await repository.staff_by_phone(session, clinic.id, phone)
    if user is None or not is_member(await repository.load_identity(session, user.id, None)):
        return None
    return user


async def _active_clinic(session: AsyncSession, clinic_id: int) -> Organization:
    clinic = await clinics.find(session, clinic_id)
    if clinic is None:
        raise NotFound("Clinic not found", details=[{"field": "clinic_id", "message": "no such clinic"}])
    if clinic.status != clinics.ACTIVE:
        raise Forbidden("This clinic is not active", details=[{"field": "clinic_id",
                                                               "message": "the clinic is not active"}])
    return clinic


async def start_session(session: AsyncSession, user: User, clinic: Organization, client: Client) -> ClinicSignIn:
    user.last_login_at = utcnow()
    await session.flush()
    tokens = await sessions.start(session, user, policy=sessions.ROTATING, surface=sessions.CLINIC,
                                  user_agent=client.user_agent, ip=client.ip)
    await session.refresh(user)
    log.info("clinic_signed_in", user_id=user.id, clinic_id=clinic.id)
    return ClinicSignIn(user, clinic, tokens)


# --- login ---

async def send_login_code(session: AsyncSession, *, clinic_id: int, phone: str, client: Client) -> CodeSent:
    clinic = await _active_clinic(session, clinic_id)
    user = await _member_by_phone(session, clinic, phone)
    return await open_request(session, kind=LOGIN, clinic=clinic, phone=phone, user=user, client=client)


async def verify_login(session: AsyncSession, *, request_id: int, code: str, password: str,
                       client: Client) -> ClinicSignIn:
    """Code, then password. A wrong password counts against the account (by clinic and phone) and the code is
    spent, so guessing passwords costs one WhatsApp code each."""
    request = await take_request(session, kind=LOGIN, request_id=request_id, code=code, client=client)
    failures = ratelimit.Limit(f"login:fail:clinic:{request.organization_id}:{request.phone}",
                               get_settings().limit("login_failures_per_account"))
    await ratelimit.check(session, [failures], record=False)
    user = await session.get(User, request.user_id) if request.user_id is not None else None
    user = await verify_secret(session, user, password, failures)
    if not is_member(await repository.load_identity(session, user.id, None)):
        raise AccountDisabled()
    clinic = await _active_clinic(session, request.organization_id)
    return await start_session(session, user, clinic, client)


# --- forgotten password ---

async def send_reset_code(session: AsyncSession, *, clinic_id: int, phone: str, client: Client) -> CodeSent:
    clinic = await _active_clinic(session, clinic_id)
    user = await _member_by_phone(session, clinic, phone)
    return await open_request(session, kind=PASSWORD_RESET, clinic=clinic, phone=phone, user=user, client=client)


async def reset_password(session: AsyncSession, *, request_id: int, code: str, new_password: str,
                         client: Client) -> User:
    """Set a new password by code; every session of the user ends (whoever knew the old one is signed out)."""
    check_new_password(new_password)
    request = await take_request(session, kind=PASSWORD_RESET, request_id=request_id, code=code, client=client)
    user = await session.get(User, request.user_id) if request.user_id is not None else None
    if user is None:  # cannot happen with a right code (none was sent), but never reset nobody's password
        raise InvalidOtp()
    await _set_password(session, user, new_password, "password_reset")
    return user


async def _set_password(session: AsyncSession, user: User, password: str, reason: str) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = False
    await session.flush()
    await sessions.revoke_all_for_user(session, user.id, reason)
    await session.refresh(user)


# --- sessions ---

async def refresh(session: AsyncSession, *, refresh_token: str, client: Client) -> sessions.Tokens:
    return await sessions.refresh(session, refresh_token, surface=sessions.CLINIC, user_type="STAFF",
                                  user_agent=client.user_agent, ip=client.ip)


async def logout(session: AsyncSession, principal: Principal, *, refresh_token: str | None) -> None:
    """End the session the access token names, and the one ``refresh_token`` belongs to if it is the caller's."""
    families = {principal.session_family} if principal.session_family else set()
    if refresh_token:
        family = await sessions.family_of(session, refresh_token, sessions.CLINIC)
        if family:
            families.add(family)
    if not families:
        raise Unauthorized("Authentication required")
    for family in families:
        await sessions.revoke_family(session, family, "logout")


async def change_password(session: AsyncSession, principal: Principal, *, current_password: str,
                          new_password: str, client: Client) -> ClinicSignIn:
    """Check the current password, set the new one, end every session, and start a new one for the caller."""
    check_new_password(new_password)
    failures = await admit_attempt(session, client, f"user:{principal.user_id}")
    user = await verify_secret(session, await session.get(User, principal.user_id), current_password, failures)
    if current_password == new_password:
        raise ValidationFailed("new_password", "new_password must differ from the current password")
    await _set_password(session, user, new_password, "password_changed")
    assert principal.organization_id is not None
    return await start_session(session, user, await clinics.get(session, principal.organization_id), client)

