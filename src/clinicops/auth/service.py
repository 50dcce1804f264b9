"""Sign-in use cases of the hospital surface: staff (/api/auth) and patients (/api/patient-auth).

Every credential check answers unknown accounts exactly like wrong secrets (same error, same hashing work),
counts failures in PostgreSQL, and starts a STATIC session (DESIGN invariant 6: the hospital clients never
store a rotated refresh token).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import otp, ratelimit, repository, sessions
from clinicops.auth.exceptions import AccountDisabled, InvalidCredentials, WrongAccountType
from clinicops.auth.identities import IDENTITIES, IdentityCache
from clinicops.auth.models import User
from clinicops.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from clinicops.auth.repository import IdentityRow
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.db import keep_changes_on_error
from clinicops.errors import NotFound, Unauthorized
from clinicops.kit import phones
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.organizations.models import Organization
from clinicops.patients import registry
from clinicops.patients.models import Patient

log = get_logger("clinicops.auth")


@dataclass(frozen=True)
class Client:
    """Facts about the caller that sessions and limits record."""

    ip: str
    user_agent: str | None = None


@dataclass(frozen=True)
class StaffSignIn:
    user: User
    tokens: sessions.Tokens


@dataclass(frozen=True)
class StaffProfile:
    user: User
    roles: list[tuple[str, int | None]]
    clinician_id: int | None


# --- the caller of a request ---

async def identity(session: AsyncSession, user_id: int, session_family: str | None, *,
                   cache: IdentityCache = IDENTITIES) -> IdentityRow | None:
    """Who an access token names: the user, their roles, and the session it belongs to (judge it with
    ``session_live_at``). From the process's cache when the change feed vouches for it, else one query."""
    found = cache.get(user_id, session_family)
    if found is not None:
        return found
    token = cache.feed.fill_token()  # before the read: a change committed meanwhile refuses the store
    found = await repository.load_identity(session, user_id, session_family)
    if found is not None:
        cache.put(token, found)
    return found


# --- limits shared by every sign-in ---

def _attempt_limit(client: Client) -> ratelimit.Limit:
    return ratelimit.Limit(f"login:ip:{client.ip}", get_settings().limit("login_attempts_per_ip"))


def _failure_limit(account: str) -> ratelimit.Limit:
    return ratelimit.Limit(f"login:fail:{account}", get_settings().limit("login_failures_per_account"))


async def admit_attempt(session: AsyncSession, client: Client, account: str | None) -> ratelimit.Limit | None:
    """Count this attempt against the caller's IP; refuse an account with too many recent failures.

    OTP sign-ins pass no account: a code has its own five tries, and password failures must not lock a person
    out of the OTP route (that would let anyone block them).
    """
    await ratelimit.check(session, [_attempt_limit(client)])
    if account is None:
        return None
    failures = _failure_limit(account)
    await ratelimit.check(session, [failures], record=False)
    return failures


async def verify_secret(session: AsyncSession, user: User | None, password: str,
                        failures: ratelimit.Limit | None) -> User:
    """The user if ``password`` is theirs; otherwise count a failure and raise InvalidCredentials.

    An unknown account, or one without a password, spends the same hashing work as a wrong password.
    """
    stored = user.password_hash if user is not None else None
    matches = verify_password(password, stored or DUMMY_HASH) and stored is not None
    if not matches or user is None:
        if failures is not None:
            await ratelimit.hit(session, [failures])
        keep_changes_on_error(session)
        raise InvalidCredentials()
    if failures is not None:
        await ratelimit.clear(session, [failures.key])
    if needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


def _usable(user: User, user_type: str) -> User:
    if user.user_type != user_type:
        raise WrongAccountType(user_type)
    if not user.is_active or user.is_deleted:
        raise AccountDisabled()
    return user


async def _begin(session: AsyncSession, user: User, client: Client) -> sessions.Tokens:
    user.last_login_at = utcnow()
    await session.flush()
    tokens = await sessions.start(session, user, policy=sessions.STATIC, surface=sessions.HOSPITAL,
                                  user_agent=client.user_agent, ip=client.ip)
    await session.refresh(user)  # updated_at is set by the database on flush; reload it for the reply
    log.info("signed_in", user_id=user.id, user_type=user.user_type)
    return tokens


# --- staff ---

async def send_staff_otp(session: AsyncSession, *, organization: Organization, phone: str, client: Client) -> int:
    """Same reply and nearly the same work for every phone; the code goes out only to an active staff member of
    ``organization`` (the one the surface serves: phones identify staff within an organization)."""
    user = await repository.staff_by_phone(session, organization.id, phone)
    deliver = user is not None and user.is_active
    return await otp.send(session, phone=phone, purpose=otp.STAFF_LOGIN, ip=client.ip,
                          organization_id=organization.id, organization_name=organization.name, deliver=deliver)


async def staff_login_otp(session: AsyncSession, *, organization: Organization, phone: str, code: str,
                          client: Client) -> StaffSignIn:
    await admit_attempt(session, client, None)
    await otp.verify(session, phone=phone, purpose=otp.STAFF_LOGIN, code=code)
    user = await repository.staff_by_phone(session, organization.id, phone)
    if user is None:  # a code issued to a phone that is not (or no longer) staff
        raise InvalidCredentials()
    user = _usable(user, "STAFF")
    return StaffSignIn(user, await _begin(session, user, client))


async def _account_for_phone(session: AsyncSession, organization: Organization, phone: str) -> User | None:
    """Staff of the organization first; else a patient, so a patient can be told this sign-in is not theirs."""
    return await repository.staff_by_phone(session, organization.id, phone) or await repository.patient_user_by_phone(
        session, phone)


async def staff_login_password(session: AsyncSession, *, password: str, client: Client, phone: str | None = None,
                               username: str | None = None, organization: Organization | None = None) -> StaffSignIn:
    """Phone + password (staff of ``organization``: a phone identifies staff within one) or username + password
    (usernames are unique across organizations)."""
    account = f"phone:{phone}" if phone else f"user:{(username or '').lower()}"
    failures = await admit_attempt(session, client, account)
    if phone:
        if organization is None:
            raise ValueError("a phone sign-in names the organization it signs in to")
        user = await _account_for_phone(session, organization, phone)
    else:
        user = await repository.user_by_username(session, username or "")
    user = _usable(await verify_secret(session, user, password, failures), "STAFF")
    return StaffSignIn(user, await _begin(session, user, client))


async def staff_profile(session: AsyncSession, principal: Principal) -> StaffProfile:
    user = await session.get(User, principal.user_id)
    if user is None:
        raise NotFound("User not found")
    return StaffProfile(user, await repository.roles_of(session, user.id), principal.clinician_id)


# --- both ---

async def refresh(session: AsyncSession, *, refresh_token: str, user_type: str, client: Client) -> sessions.Tokens:
    return await sessions.refresh(session, refresh_token, surface=sessions.HOSPITAL, user_type=user_type,
                                  user_agent=client.user_agent, ip=client.ip)


async def logout(session: AsyncSession, principal: Principal | None, *, refresh_token: str | None) -> None:
    """End the caller's session: the one their access token names and/or the one their refresh token belongs to."""
    families = set()
    if principal is not None and principal.session_family:
        families.add(principal.session_family)
    if refresh_token:
        family = await sessions.family_of(session, refresh_token, sessions.HOSPITAL)
        if family:
            families.add(family)
    if not families and principal is None:
        raise Unauthorized("Authentication required")
    for family in families:
        await sessions.revoke_family(session, family, "logout")
    log.info("signed_out", user_id=principal.user_id if principal else None, sessions=len(families))


# --- patients ---

@dataclass(frozen=True)
class PatientDetails:
    """What verify-otp may carry for a first sign-in; it only fills gaps, never overwrites (that is a profile edit)."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    age: int | None = None
    gender: str | None = None


@dataclass(frozen=True)
class PatientSignIn:
    user: User
    patient: Patient
    tokens: sessions.Tokens | None
    is_new_user: bool = False

    @property
    def requires_profile_completion(self) -> bool:
        return not (self.patient.first_name or "").strip()


async def send_patient_otp(session: AsyncSession, *, organization: Organization, phone: str, client: Client) -> int:
    """Every phone gets a code (an unknown one signs up by verifying it), so the reply cannot differ. The message
    names ``organization``, the one whose patient website asks."""
    return await otp.send(session, phone=phone, purpose=otp.PATIENT_LOGIN, ip=client.ip,
                          organization_id=organization.id, organization_name=organization.name)


async def patient_verify_otp(session: AsyncSession, *, organization: Organization, phone: str, code: str,
                             details: PatientDetails, client: Client) -> PatientSignIn:
    """Sign in (or sign up) by code; the patient is registered with ``organization``, whose website asks."""
    await admit_attempt(session, client, None)
    await otp.verify(session, phone=phone, purpose=otp.PATIENT_LOGIN, code=code)
    patient, created = await registry.find_or_create(
        session, phone=phone, organization_id=organization.id, first_name=details.first_name,
        last_name=details.last_name, email=details.email, source="WEB_PATIENT")
    _fill_gaps(patient, details)
    return await _patient_session(session, patient, created, client)


async def patient_login_password(session: AsyncSession, *, organization: Organization, username: str,
                                 password: str, client: Client) -> PatientSignIn:
    """``username`` is a username or the patient's phone; the patient is registered with ``organization``."""
    phone = _as_phone(username)
    failures = await admit_attempt(session, client, f"patient:{phone or username.lower()}")
    user = (await repository.patient_user_by_phone(session, phone) if phone
            else await repository.user_by_username(session, username))
    user = _usable(await verify_secret(session, user, password, failures), "PATIENT")
    patient, _ = await registry.find_or_create(session, phone=user.phone, organization_id=organization.id,
                                               source="WEB_PATIENT")
    return await _patient_session(session, patient, False, client)


async def patient_profile(session: AsyncSession, principal: Principal) -> PatientSignIn:
    user = await session.get(User, principal.user_id)
    patient = await session.get(Patient, principal.patient_id) if principal.patient_id else None
    if user is None or patient is None:
        raise NotFound("Patient not found")
    return PatientSignIn(user, patient, None)


async def _patient_session(session: AsyncSession, patient: Patient, created: bool, client: Client) -> PatientSignIn:
    user = _usable(await registry.ensure_login(session, patient), "PATIENT")
    if not user.full_name and patient.full_name:
        user.full_name = patient.full_name
    tokens = await _begin(session, user, client)
    await session.refresh(patient)
    return PatientSignIn(user, patient, tokens, created)


def _fill_gaps(patient: Patient, details: PatientDetails) -> None:
    if not patient.first_name and details.first_name:
        patient.first_name = details.first_name
        patient.last_name = patient.last_name or details.last_name
        patient.full_name = registry.full_name_of(patient.first_name, patient.last_name)
    for name in ("email", "age", "gender"):
        if getattr(patient, name) is None and getattr(details, name) is not None:
            setattr(patient, name, getattr(details, name))


def _as_phone(value: str) -> str | None:
    try:
        return phones.normalize(value)
    except phones.InvalidPhone:
        return None
