"""All SQL of organizations and centres."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.organizations.models import Centre, Organization


async def by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return (await session.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()


async def centre_in_org(session: AsyncSession, organization_id: int, centre_id: int) -> Centre | None:
    return (await session.execute(select(Centre).where(
        Centre.id == centre_id, Centre.organization_id == organization_id,
        Centre.is_deleted.is_(False)))).scalar_one_or_none()
