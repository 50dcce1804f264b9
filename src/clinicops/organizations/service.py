"""Organizations, their own settings (cities, registration fee, cancellation window), and the centre use cases.

Every function takes the organization it acts in from its caller: staff act in their own, and a surface decides
which organization its anonymous and patient routes serve (the hospital surface: ``http/tenant.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops import changes
from clinicops.authz.principal import Principal, Role
from clinicops.errors import Conflict, Forbidden, NotFound, ValidationFailed
from clinicops.kit import timezones
from clinicops.organizations import repository
from clinicops.organizations.models import Centre, Organization

# Centre fields a PUT may change; anything else in a body is never bound.
CENTRE_FIELDS = ("name", "city", "address_line1", "address_line2", "pincode", "phone", "timezone", "is_active")
CITY_MAX = 100  # centres.city
# Each organization's centres (deleted ones too), in list order, per process; emptied by any committed change to a
# centre (``changes``). Centre lists are read on every screen of the admin panel and written a few times a year.
CENTRES = changes.Snapshots(changes.FEED, (changes.CENTRE,))


async def get(session: AsyncSession, organization_id: int) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound("Organization not found")
    return org


async def by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return await repository.by_slug(session, slug)


# --- the organization's own settings ---------------------------------------------------------------------------

def city_key(value: str) -> str:
    """How a city is stored and compared: trimmed, lower case ("Bangalore " and "bangalore" are one city)."""
    return value.strip().lower()


def _cities(values: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(city_key(v) for v in values))
    if any(not key or len(key) > CITY_MAX for key in keys):
        raise ValidationFailed("cities", f"each city must be 1 to {CITY_MAX} characters")
    return keys


def normalize_city(organization: Organization, value: str) -> str:
    """``value`` as a city key, if the organization operates there (an organization without a city list: any)."""
    city = city_key(value)
    if not city:
        raise ValidationFailed("city", "city cannot be empty")
    if len(city) > CITY_MAX:
        raise ValidationFailed("city", f"city must be at most {CITY_MAX} characters")
    if organization.cities and city not in organization.cities:
        raise ValidationFailed("city", f"city must be one of {', '.join(organization.cities)}")
    return city


async def update_settings(session: AsyncSession, organization: Organization, *,
                          cities: Iterable[str] | None = None, registration_fee_paise: int | None = None,
                          free_cancellation_hours: int | None = None, timezone: str | None = None) -> Organization:
    """Change the organization's own rules; what is not given stays. Read fresh by every request that uses them."""
    if cities is not None:
        organization.cities = _cities(cities)
    if registration_fee_paise is not None:
        if registration_fee_paise < 0:
            raise ValidationFailed("registration_fee_paise", "the registration fee cannot be negative")
        organization.registration_fee_paise = registration_fee_paise
    if free_cancellation_hours is not None:
        if free_cancellation_hours < 0:
            raise ValidationFailed("free_cancellation_hours", "the free cancellation window cannot be negative")
        organization.free_cancellation_hours = free_cancellation_hours
    if timezone is not None:
        organization.timezone = _check_timezone(timezone)
    await session.flush()
    return organization


# --- centres ---------------------------------------------------------------------------------------------------

def _reads_as_staff(principal: Principal | None, organization_id: int) -> bool:
    """Staff of the organization read all of its centres; anyone else only the active ones."""
    return principal is not None and principal.is_staff and principal.organization_id == organization_id


async def list_centres(session: AsyncSession, principal: Principal | None, *, organization_id: int,
                       city: str | None = None, is_active: bool | None = None,
                       include_deleted: bool = False, cache: changes.Snapshots = CENTRES) -> list[Centre]:
    """Staff see every centre of their organization (deleted ones only when asked: to restore them); anyone
    else the active centres of the organization the surface serves. Answered from ``cache`` while the change feed
    listens (a hit sends no statement)."""
    if not _reads_as_staff(principal, organization_id):
        is_active, include_deleted = True, False
    every: list[Centre] | None = cache.get(organization_id)
    if every is None:
        token = cache.feed.fill_token()  # before the read: a change committed meanwhile refuses the store
        every = await repository.list_centres(session, organization_id, include_deleted=True)
        for centre in every:
            session.expunge(centre)  # held by the process, read by many requests: never tied to this session
        cache.put(token, organization_id, every)
    city = city_key(city) if city else None
    return [centre for centre in every
            if (include_deleted or not centre.is_deleted) and (is_active is None or centre.is_active is is_active)
            and (city is None or city_key(centre.city) == city)]


def address_of(centre: Centre) -> str:
    """The centre's address on one line: its lines joined with ", " (the admin panel's edit form splits it)."""
    return ", ".join(line for line in (centre.address_line1, centre.address_line2) if line)


def _unchanged_split(centre: Centre, changes: dict[str, Any]) -> bool:
    """True when the address lines in ``changes`` are only the comma-split of :func:`address_of` coming back
    (an edit form that splits the one-line address on "," cannot rebuild a line that itself holds a comma)."""
    parts = [part.strip() for part in address_of(centre).split(",")]
    read = (parts[0], parts[1] if len(parts) > 1 else "")
    sent = (changes.get("address_line1", centre.address_line1) or "", changes.get("address_line2") or "")
    return len(parts) > 2 and sent == read


async def get_centre(session: AsyncSession, principal: Principal | None, centre_id: int, *,
                     organization_id: int) -> Centre:
    centre = await repository.centre_in_org(session, organization_id, centre_id)
    if centre is None or (not _reads_as_staff(principal, organization_id) and not centre.is_active):
        raise NotFound("Centre not found")
    return centre


def _check_timezone(value: str) -> str:
    try:
        timezones.zone(value)
    except ValueError:
        raise ValidationFailed("timezone", "timezone must be an IANA zone such as Asia/Kolkata") from None
    return value


async def create_centre(session: AsyncSession, principal: Principal, *, name: str, city: str,
                        address_line1: str, address_line2: str | None = None, pincode: str | None = None,
                        phone: str | None = None, timezone: str | None = None,
                        is_active: bool = True) -> Centre:
    """A centre of the ADMIN's organization, in one of its cities; in its time zone unless another is given."""
    assert principal.organization_id is not None
    organization = await get(session, principal.organization_id)
    centre = Centre(organization_id=organization.id, name=name, city=normalize_city(organization, city),
                    address_line1=address_line1, address_line2=address_line2 or None, pincode=pincode or None,
                    phone=phone or None, timezone=_check_timezone(timezone or organization.timezone),
                    is_active=is_active)
    return await repository.add_centre(session, centre)


def _managed_by(principal: Principal, centre_id: int) -> bool:
    """An ADMIN manages every centre; a CENTRE_MANAGER the centres assigned to them."""
    if principal.has(Role.ADMIN):
        return True
    if Role.CENTRE_MANAGER not in principal.roles:
        return False
    centres = principal.role_centres.get(Role.CENTRE_MANAGER)
    return centres is None or centre_id in centres


async def _managed_centre(session: AsyncSession, principal: Principal, centre_id: int, *,
                          include_deleted: bool = False) -> Centre:
    assert principal.organization_id is not None
    centre = await repository.centre_in_org(session, principal.organization_id, centre_id,
                                            include_deleted=include_deleted)
    if centre is None or not _managed_by(principal, centre_id):
        raise NotFound("Centre not found")
    return centre


async def update_centre(session: AsyncSession, principal: Principal, centre_id: int, *,
                        changes: dict[str, Any]) -> Centre:
    centre = await _managed_centre(session, principal, centre_id)
    unknown = set(changes) - set(CENTRE_FIELDS)
    assert not unknown, unknown
    if "is_active" in changes and changes["is_active"] != centre.is_active and not principal.has(Role.ADMIN):
        raise Forbidden("Only an administrator can activate or deactivate a centre")
    for required in ("name", "city", "address_line1"):
        if required in changes and not changes[required]:
            raise ValidationFailed(required, f"{required} cannot be empty")
    if changes.get("city"):
        changes["city"] = normalize_city(await get(session, centre.organization_id), changes["city"])
    if _unchanged_split(centre, changes):
        changes.pop("address_line1", None)
        changes.pop("address_line2", None)
    for optional in ("address_line2", "pincode", "phone"):
        if optional in changes and not changes[optional]:
            changes[optional] = None
    if changes.get("timezone"):
        _check_timezone(changes["timezone"])
    elif "timezone" in changes:
        del changes["timezone"]
    for name, value in changes.items():
        setattr(centre, name, value)
    return await repository.save_centre(session, centre)


async def set_centre_active(session: AsyncSession, principal: Principal, centre_id: int, *,
                            is_active: bool) -> Centre:
    """Activate or deactivate; activating a deleted centre restores it (a deleted one cannot be deactivated)."""
    centre = await _managed_centre(session, principal, centre_id, include_deleted=True)
    if centre.is_deleted and not is_active:
        raise NotFound("Centre not found")
    centre.is_deleted = False
    centre.is_active = is_active
    return await repository.save_centre(session, centre)


async def delete_centre(session: AsyncSession, principal: Principal, centre_id: int) -> None:
    """Soft delete; refused while appointments that still hold time lie ahead at this centre."""
    centre = await _managed_centre(session, principal, centre_id)
    if await repository.has_future_active_appointments(session, centre.organization_id, centre.id,
                                                       timezones.utcnow()):
        raise Conflict("This centre has upcoming appointments; cancel or move them first")
    centre.is_deleted = True
    centre.is_active = False
    await repository.save_centre(session, centre)
