"""Organization lookups shared by every domain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import get_settings
from clinicops.errors import NotFound
from clinicops.organizations import repository
from clinicops.organizations.models import Organization


async def public_organization(session: AsyncSession) -> Organization:
    """The organization the hospital surface's public endpoints serve (settings.default_organization)."""
    org = await repository.by_slug(session, get_settings().default_organization)
    if org is None or org.status != "ACTIVE":
        raise NotFound("This service is not set up yet")
    return org


async def get(session: AsyncSession, organization_id: int) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound("Organization not found")
    return org
