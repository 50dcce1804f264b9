"""All SQL of organizations and centres. Every centre query is scoped by organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES, Appointment
from clinicops.organizations.models import Centre, Organization


async def by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return (await session.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()


def _centres(organization_id: int, *, include_deleted: bool = False) -> Select:
    """Live (not deleted) centres of one organization: the starting point of every centre query. Deleted ones
    are reachable only when asked for (to list or restore them)."""
    stmt = select(Centre).where(Centre.organization_id == organization_id)
    return stmt if include_deleted else stmt.where(Centre.is_deleted.is_(False))


async def centre_in_org(session: AsyncSession, organization_id: int, centre_id: int, *,
                        include_deleted: bool = False) -> Centre | None:
    stmt = _centres(organization_id, include_deleted=include_deleted).where(Centre.id == centre_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_centres(session: AsyncSession, organization_id: int, *, city: str | None = None,
                       is_active: bool | None = None, include_deleted: bool = False) -> list[Centre]:
    stmt = _centres(organization_id, include_deleted=include_deleted)
    if city:
        stmt = stmt.where(func.lower(Centre.city) == city.lower())
    if is_active is not None:
        stmt = stmt.where(Centre.is_active.is_(is_active))
    return list((await session.execute(stmt.order_by(Centre.name, Centre.id))).scalars())


async def existing_centre_ids(session: AsyncSession, organization_id: int, centre_ids: set[int]) -> set[int]:
    """Which of ``centre_ids`` are live centres of the organization."""
    if not centre_ids:
        return set()
    rows = await session.execute(select(Centre.id).where(
        Centre.organization_id == organization_id, Centre.is_deleted.is_(False), Centre.id.in_(centre_ids)))
    return {r[0] for r in rows}


async def add_centre(session: AsyncSession, centre: Centre) -> Centre:
    session.add(centre)
    await session.flush()
    await session.refresh(centre)
    return centre


async def save_centre(session: AsyncSession, centre: Centre) -> Centre:
    await session.flush()
    await session.refresh(centre)  # updated_at is set by the database
    return centre


async def has_future_active_appointments(session: AsyncSession, organization_id: int, centre_id: int,
                                         now: datetime) -> bool:
    stmt = select(exists().where(
        Appointment.organization_id == organization_id, Appointment.centre_id == centre_id,
        Appointment.starts_at > now, Appointment.status.not_in(RELEASED_STATUSES)))
    return bool((await session.execute(stmt)).scalar())
