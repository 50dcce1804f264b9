from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.organizations.models import Centre, Organization

_seq = itertools.count(1)

# A test organization is a hospital chain like the demo's unless a test says otherwise: it operates in the three
# cities of the hospital spec and charges a one-time registration fee of 100 rupees.
HOSPITAL_CITIES = ("bangalore", "kochi", "mumbai")
HOSPITAL_FEE_PAISE = 100_00


async def make_org(db: AsyncSession, *, slug: str | None = None, name: str = "Test Hospital", kind: str = "CHAIN",
                   timezone: str = "Asia/Kolkata", cities: tuple[str, ...] | list[str] = HOSPITAL_CITIES,
                   registration_fee_paise: int = HOSPITAL_FEE_PAISE, **fields) -> Organization:
    org = Organization(slug=slug or f"org-{next(_seq)}", name=name, kind=kind, timezone=timezone,
                       cities=list(cities), registration_fee_paise=registration_fee_paise, **fields)
    db.add(org)
    await db.flush()
    return org


async def make_centre(db: AsyncSession, *, org: Organization, name: str | None = None, city: str = "bangalore",
                      timezone: str = "Asia/Kolkata", is_active: bool = True, **fields) -> Centre:
    centre = Centre(organization_id=org.id, name=name or f"Centre {next(_seq)}", city=city, timezone=timezone,
                    is_active=is_active, address_line1="1 MG Road", pincode="560001", phone="+919800000000",
                    **fields)
    db.add(centre)
    await db.flush()
    return centre
