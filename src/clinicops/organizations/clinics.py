"""A clinic as an organization: opened PENDING at registration, ACTIVE once its admin verifies, and its profile.

A clinic is an organization of kind CLINIC with exactly one centre, which mirrors the clinic's name, address,
phone and time zone (the scheduling engine reads the centre's zone). The clinic's profile answers with its
subscription as the plans module counts it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.errors import NotFound, ValidationFailed
from clinicops.kit import timezones
from clinicops.organizations import plans
from clinicops.organizations.models import ALL_WEEKDAYS, Centre, Organization, Subscription

CLINIC = "CLINIC"
PENDING = "PENDING"
ACTIVE = "ACTIVE"
DEFAULT_TIMEZONE = "Asia/Kolkata"
# Profile fields an update may carry (the wire layer maps its names onto these).
PROFILE_FIELDS = ("name", "address", "phone", "whatsapp_number", "working_days", "timezone")
NAME_MAX = 200


@dataclass(frozen=True)
class SubscriptionUsage:
    subscription: Subscription
    current_doctors: int
    next_billing_date: date

    @property
    def total_paise(self) -> int:
        """A month of the doctors active now at the plan's price (what section 6.2 calls totalAmount)."""
        return self.subscription.price_per_doctor_paise * self.current_doctors


@dataclass(frozen=True)
class ClinicProfile:
    clinic: Organization
    usage: SubscriptionUsage | None  # None only for a clinic that never got a subscription


def _city_of(address: str) -> str:
    """A centre needs a city; a clinic gives one address line, whose last part is usually its city."""
    return address.rsplit(",", 1)[-1].strip().lower()[:100] if "," in address else ""


def _name(value: str | None) -> str:
    value = (value or "").strip()
    if not value or len(value) > NAME_MAX:
        raise ValidationFailed("name", f"name must be 1 to {NAME_MAX} characters")
    return value


def _timezone(value: str | None) -> str:
    try:
        timezones.zone(value or "")
    except ValueError:
        raise ValidationFailed("timezone", "timezone must be an IANA zone such as Asia/Kolkata") from None
    return value


def _working_days(days: list[int] | None) -> list[int]:
    if not days or any(day not in ALL_WEEKDAYS for day in days):
        raise ValidationFailed("working_days", "working_days must name at least one day of the week")
    return sorted(set(days))


async def open_clinic(session: AsyncSession, *, name: str, address: str, whatsapp_number: str,
                      timezone: str = DEFAULT_TIMEZONE) -> tuple[Organization, Centre]:
    """A new clinic, PENDING until its admin verifies the registration code, with its one centre."""
    clinic = Organization(slug=f"clinic-{secrets.token_hex(6)}", name=_name(name), kind=CLINIC, status=PENDING,
                          address=address, phone=whatsapp_number, whatsapp_number=whatsapp_number,
                          timezone=_timezone(timezone), cities=[], registration_fee_paise=0)
    session.add(clinic)
    await session.flush()
    centre = Centre(organization_id=clinic.id, name=clinic.name, city=_city_of(address), address_line1=address,
                    phone=whatsapp_number, timezone=clinic.timezone)
    session.add(centre)
    await session.flush()
    return clinic, centre


async def activate(session: AsyncSession, clinic: Organization) -> Organization:
    clinic.status = ACTIVE
    await session.flush()
    return clinic


async def find(session: AsyncSession, clinic_id: int) -> Organization | None:
    """The clinic with this id (any status), or None; a hospital chain is not a clinic."""
    clinic = await session.get(Organization, clinic_id)
    return clinic if clinic is not None and clinic.kind == CLINIC else None


async def get(session: AsyncSession, clinic_id: int) -> Organization:
    clinic = await find(session, clinic_id)
    if clinic is None:
        raise NotFound("Clinic not found")
    return clinic


async def centre_of(session: AsyncSession, clinic_id: int) -> Centre:
    """The clinic's one centre."""
    centre = (await session.execute(select(Centre).where(
        Centre.organization_id == clinic_id, Centre.is_deleted.is_(False)).order_by(Centre.id).limit(1)
    )).scalar_one_or_none()
    if centre is None:
        raise NotFound("Clinic not found")
    return centre


async def usage(session: AsyncSession, clinic_id: int) -> SubscriptionUsage | None:
    subscription = await plans.subscription(session, clinic_id)
    if subscription is None:
        return None
    today = await plans.clinic_today(session, clinic_id)
    _, next_bill = plans.cycle_of(subscription.starts_on, today)
    return SubscriptionUsage(subscription, await plans.active_doctors(session, clinic_id), next_bill)


async def profile(session: AsyncSession, clinic_id: int) -> ClinicProfile:
    return ClinicProfile(await get(session, clinic_id), await usage(session, clinic_id))


async def update_profile(session: AsyncSession, clinic_id: int, *, changes: dict[str, Any]) -> Organization:
    """Change what is given; the clinic's centre follows its name, address, phone and time zone. A new time zone
    moves the wall clock the doctors' weekly hours are read in (their hours stay 09:00-17:00, in the new zone)."""
    assert not set(changes) - set(PROFILE_FIELDS), changes
    clinic = await get(session, clinic_id)
    centre = await centre_of(session, clinic_id)
    if "name" in changes:
        clinic.name = centre.name = _name(changes["name"])
    if "address" in changes:
        address = (changes["address"] or "").strip() or None
        clinic.address = centre.address_line1 = address
        centre.city = _city_of(address or "")
    if "phone" in changes:
        clinic.phone = centre.phone = changes["phone"]
    if "whatsapp_number" in changes:
        if not changes["whatsapp_number"]:
            raise ValidationFailed("whatsapp_number", "whatsapp_number cannot be empty")
        clinic.whatsapp_number = changes["whatsapp_number"]
    if "working_days" in changes:
        clinic.working_days = _working_days(changes["working_days"])
    if "timezone" in changes:
        clinic.timezone = centre.timezone = _timezone(changes["timezone"])
    await session.flush()
    await session.refresh(clinic)  # updated_at is set by the database
    return clinic
