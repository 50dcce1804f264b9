"""Clinician profiles: create, update, soft delete, toggle, and the public directory (cached per process).

A clinician is a STAFF login (role CLINICIAN at their centres) plus a ``clinicians`` row. The public directory
shows active clinicians of the organization the caller reads (``organization``, named by the surface: staff read
their own) without phone or email; managers (ADMIN, MANAGER,
CENTRE_MANAGER) may ask for inactive ones and see contact details, within their centres.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import sessions
from clinicops.auth.models import User
from clinicops.auth.passwords import hash_password
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians import availability, repository
from clinicops.clinicians.availability import RuleSpec
from clinicops.clinicians.cache import DIRECTORY, DirectoryCache
from clinicops.clinicians.exceptions import CentreNotFound, ClinicianNotFound, HasFutureAppointments
from clinicops.clinicians.models import Clinician
from clinicops.errors import Duplicate, NotFound, ValidationFailed
from clinicops.kit.timezones import utcnow
from clinicops.organizations.keys import OrganizationKey

MANAGER_ROLES = (Role.ADMIN, Role.MANAGER, Role.CENTRE_MANAGER)
PROFILE_FIELDS = frozenset({
    "primary_centre_id", "specializations", "qualifications", "languages", "expertise", "consultation_modes",
    "registration_number", "years_of_experience", "consultation_fee_paise", "advance_amount_paise",
    "daily_token_limit", "default_duration_minutes", "profile_picture_url", "bio", "is_active"})


@dataclass
class Account:
    """The clinician's login; None means "not given" (left unchanged on update)."""

    full_name: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class DirectoryQuery:
    centre_id: int | None = None
    city: str | None = None
    specialization: str | None = None
    mode: str | None = None
    search: str | None = None
    include_inactive: bool = False  # kept for the older switch; managers now see inactive ones by default
    is_active: bool | None = None
    include_deleted: bool = False
    limit: int = 100
    offset: int = 0


@dataclass
class Profile:
    """A clinician as the directory reads it (a row of ``repository.directory_rows``) with its weekly rules."""

    row: dict
    rules: list[dict] = field(default_factory=list)


def manages(principal: Principal | None) -> bool:
    return principal is not None and principal.is_staff and principal.has(*MANAGER_ROLES)


# --- reads ---------------------------------------------------------------------------------------------------------

async def _cached(session: AsyncSession, organization: OrganizationKey, key: tuple,
                  build: Callable[[int], Awaitable[Any]], cache: DirectoryCache) -> Any:
    """Serve ``key`` from ``cache`` (no query at all on a hit), else ``build`` it. An inactive organization has no
    public directory."""
    token = cache.feed.fill_token()  # before any read: a change committed meanwhile refuses the stores
    found = cache.organization(organization)
    if found is None:
        found = await repository.directory_organization(session, organization_id=organization.id,
                                                        slug=organization.slug)
        if found is not None:
            cache.put_organization(token, organization, found)
    if found is None or not found.active:
        raise NotFound("This service is not set up yet")
    hit = cache.get(found.id, key)
    if hit is not None:
        return hit
    value = await build(found.id)
    cache.put(token, found.id, key, value)
    return value


def _render_key(render: Callable) -> tuple[str, str]:
    return render.__module__, render.__qualname__


async def directory(session: AsyncSession, principal: Principal | None, *, organization: OrganizationKey,
                    query: DirectoryQuery, render: Callable[..., Any], cache: DirectoryCache = DIRECTORY) -> Any:
    """The clinician list, rendered by ``render(rows, staff=bool)``. Managers get the staff list of their
    centres, inactive clinicians included unless ``is_active`` says otherwise (the admin panel filters and
    re-activates from it); everyone else the cached public list of active clinicians."""
    filters = dict(centre_id=query.centre_id, city=query.city, specialization=query.specialization,
                   mode=query.mode, search=query.search, limit=query.limit, offset=query.offset)
    if manages(principal):
        rows = await repository.directory_rows(session, principal.organization_id, active_only=False,
                                               scope=principal.centre_scope(), is_active=query.is_active,
                                               include_deleted=query.include_deleted, **filters)
        return render(rows, staff=True)
    if query.is_active is False:  # the public list holds active clinicians only
        filters["limit"] = 0

    async def build(organization_id: int) -> Any:
        rows = await repository.directory_rows(session, organization_id, active_only=True, **filters)
        return render(rows, staff=False)

    return await _cached(session, organization, ("list", _render_key(render), query), build, cache)


async def _managed_profile(session: AsyncSession, principal: Principal, clinician_id: int) -> Profile | None:
    rows = await repository.directory_rows(session, principal.organization_id, active_only=False,
                                           scope=principal.centre_scope(), clinician_id=clinician_id, limit=1)
    if not rows:
        return None
    return Profile(rows[0], await repository.rules_with_centres(session, principal.organization_id, clinician_id))


async def profile(session: AsyncSession, principal: Principal | None, clinician_id: int, *,
                  organization: OrganizationKey,
                  render: Callable[..., Any], cache: DirectoryCache = DIRECTORY) -> Any:
    """One clinician, rendered by ``render(profile, staff=bool)``. Managers in scope see inactive ones and
    contact details; everyone else sees the cached public profile of an active clinician."""
    if manages(principal):
        found = await _managed_profile(session, principal, clinician_id)
        if found is not None:
            return render(found, staff=True)

    async def build(organization_id: int) -> Any:
        rows = await repository.directory_rows(session, organization_id, active_only=True,
                                               clinician_id=clinician_id, limit=1)
        if not rows:
            raise ClinicianNotFound()
        return render(Profile(rows[0], await repository.rules_with_centres(session, organization_id, clinician_id)),
                      staff=False)

    return await _cached(session, organization, ("detail", _render_key(render), clinician_id), build, cache)


async def staff_profile(session: AsyncSession, principal: Principal, clinician_id: int) -> Profile:
    found = await _managed_profile(session, principal, clinician_id)
    if found is None:
        raise ClinicianNotFound()
    return found


# --- writes --------------------------------------------------------------------------------------------------------

async def _check_centres(session: AsyncSession, principal: Principal, centre_ids: set[int],
                         primary: int | None) -> None:
    found = await repository.centres_in_org(session, principal.organization_id, centre_ids)
    for centre_id in sorted(centre_ids):
        if centre_id not in found or not principal.can_access_centre(centre_id):
            field_name = "primary_centre_id" if centre_id == primary else "centre_ids"
            raise CentreNotFound(f"Centre {centre_id} not found",
                                 details=[{"field": field_name, "message": "centre not found"}])


async def _check_unique(session: AsyncSession, organization_id: int, account: Account,
                        user_id: int | None = None) -> None:
    if account.phone and await repository.phone_taken(session, organization_id, account.phone,
                                                      exclude_user_id=user_id):
        raise Duplicate("A staff member with this phone number already exists",
                        details=[{"field": "phone", "message": "already registered"}])
    if account.username and await repository.username_taken(session, account.username, exclude_user_id=user_id):
        raise Duplicate("This username is taken", details=[{"field": "username", "message": "already taken"}])


async def create(session: AsyncSession, principal: Principal, *, account: Account, profile_fields: dict,
                 centre_ids: list[int] | None = None, rules: list[RuleSpec] | None = None) -> Profile:
    """A new clinician: the STAFF login with role CLINICIAN at its centres, the profile, optional rules."""
    primary = profile_fields.get("primary_centre_id")
    if primary is None:
        raise ValidationFailed("primary_centre_id", "primary_centre_id is required")
    if not account.full_name:
        raise ValidationFailed("full_name", "full_name is required")
    if not account.phone:
        raise ValidationFailed("phone", "phone is required")
    centres = {primary, *(centre_ids or [])}
    await _check_centres(session, principal, centres, primary)
    if rules:
        await availability.check_rules(session, principal, rules)
    await _check_unique(session, principal.organization_id, account)
    user = User(organization_id=principal.organization_id, user_type="STAFF", phone=account.phone,
                email=account.email or None, username=account.username or None, full_name=account.full_name,
                password_hash=hash_password(account.password) if account.password else None)
    session.add(user)
    await session.flush()
    clinician = Clinician(organization_id=principal.organization_id, user_id=user.id,
                          **{k: v for k, v in profile_fields.items() if k in PROFILE_FIELDS})
    session.add(clinician)
    await session.flush()
    await repository.set_clinician_roles(session, user.id, centres)
    if rules:
        await availability.store_rules(session, principal, clinician, rules)
    return await staff_profile(session, principal, clinician.id)


def _apply_account(user: User, account: Account) -> None:
    if account.full_name:
        user.full_name = account.full_name
    if account.phone:
        user.phone = account.phone
    for name in ("email", "username"):  # an empty string clears these optional fields
        value = getattr(account, name)
        if value is not None:
            setattr(user, name, value or None)
    if account.password:
        user.password_hash = hash_password(account.password)


async def update(session: AsyncSession, principal: Principal, clinician_id: int, *, account: Account,
                 profile_fields: dict, centre_ids: list[int] | None = None,
                 rules: list[RuleSpec] | None = None) -> Profile:
    """Change what was given; ``rules`` (when not None) replace the weekly rules."""
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True)
    primary = profile_fields.get("primary_centre_id", clinician.primary_centre_id)
    new_centres = {c for c in (primary, *(centre_ids or [])) if c is not None}
    if "primary_centre_id" in profile_fields or centre_ids is not None:
        await _check_centres(session, principal, new_centres, primary)
    if rules is not None:
        await availability.check_rules(session, principal, rules)
    user = await repository.get_user(session, clinician.user_id)
    await _check_unique(session, principal.organization_id, account, user.id)
    _apply_account(user, account)
    for name, value in profile_fields.items():
        if name in PROFILE_FIELDS:
            setattr(clinician, name, value)
    clinician.updated_at = func.clock_timestamp()
    if "primary_centre_id" in profile_fields or centre_ids is not None:
        if centre_ids is None:
            new_centres |= set(await repository.clinician_role_centres(session, user.id))
        await repository.set_clinician_roles(session, user.id, new_centres)
    await session.flush()
    if account.password:  # a new password ends every session signed in with the old one (refresh ones too)
        await sessions.revoke_all_for_user(session, user.id, "password_changed")
    if rules is not None:
        await availability.store_rules(session, principal, clinician, rules)
    return await staff_profile(session, principal, clinician.id)


async def remove(session: AsyncSession, principal: Principal, clinician_id: int) -> None:
    """Soft delete, refused while the clinician has upcoming active appointments. The login goes too (or only
    its CLINICIAN role, when the person also holds another role)."""
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True)
    upcoming = await repository.future_active_count(session, clinician.id, utcnow())
    if upcoming:
        raise HasFutureAppointments(
            f"The clinician has {upcoming} upcoming appointment(s); cancel or reschedule them first")
    clinician.is_deleted = True
    clinician.is_active = False
    clinician.updated_at = func.clock_timestamp()
    user = await repository.get_user(session, clinician.user_id)
    if await repository.has_other_roles(session, user.id):
        await repository.set_clinician_roles(session, user.id, [])  # they stay staff in their other role
    else:  # the login goes; its CLINICIAN roles stay with it, so a restore gives the same centres back
        user.is_deleted = True
        user.is_active = False
        user.token_version += 1
    await session.flush()


async def _restore(session: AsyncSession, clinician: Clinician) -> None:
    """Undo :func:`remove`. The login's phone and username were freed by the delete: if someone holds them now
    the restore is refused (409 DUPLICATE) and nothing changes. Old sessions stay dead (token_version moved)."""
    user = await repository.get_user(session, clinician.user_id)
    if user.is_deleted:
        await _check_unique(session, clinician.organization_id, Account(phone=user.phone, username=user.username),
                            user.id)
        user.is_deleted = False
        user.is_active = True
    wanted = set(await repository.clinician_role_centres(session, user.id))
    if not wanted:  # the roles were removed (the person kept another role): the centres of their weekly rules
        wanted = await repository.rule_centre_ids(session, clinician.id)
    if clinician.primary_centre_id is not None:
        wanted.add(clinician.primary_centre_id)
    live = await repository.centres_in_org(session, clinician.organization_id, wanted)
    await repository.set_clinician_roles(session, user.id, live)
    clinician.is_deleted = False


async def set_active(session: AsyncSession, principal: Principal, clinician_id: int,
                     is_active: bool | None) -> Profile:
    """``toggle-active``: the given state, or the opposite of the current one when none is given. Activating a
    soft-deleted clinician restores them (their login too); a deleted one cannot be deactivated (404)."""
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True,
                                                   include_deleted=True)
    target = (not clinician.is_active) if is_active is None else is_active
    if clinician.is_deleted:
        if not target:
            raise ClinicianNotFound()
        await _restore(session, clinician)
    clinician.is_active = target
    clinician.updated_at = func.clock_timestamp()
    await session.flush()
    return await staff_profile(session, principal, clinician.id)


async def rules(session: AsyncSession, principal: Principal | None, clinician_id: int, *,
                organization: OrganizationKey,
                render: Callable[..., Any], centre_id: int | None = None, day: date | None = None,
                cache: DirectoryCache = DIRECTORY) -> Any:
    """``GET /clinicians/:id/availability``: public for active clinicians; managers also for inactive ones.
    ``centre_id``/``day`` keep only the rules at that centre / in effect on that day."""

    def chosen(found: list[dict]) -> list[dict]:
        return availability.in_effect(found, centre_id=centre_id, day=day)

    if manages(principal):
        found = await repository.get_clinician(session, principal.organization_id, clinician_id,
                                               scope=principal.centre_scope())
        if found is not None:
            return render(clinician_id, chosen(await repository.rules_with_centres(
                session, found.organization_id, clinician_id)))

    async def build(organization_id: int) -> Any:
        rows = await repository.directory_rows(session, organization_id, active_only=True,
                                               clinician_id=clinician_id, limit=1)
        if not rows:
            raise ClinicianNotFound()
        return render(clinician_id, chosen(await repository.rules_with_centres(session, organization_id,
                                                                                clinician_id)))

    key = ("rules", _render_key(render), clinician_id, centre_id, day)
    return await _cached(session, organization, key, build, cache)
