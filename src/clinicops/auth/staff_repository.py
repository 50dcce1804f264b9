"""All SQL of staff user management. Every query is scoped to one organization's live staff."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User, UserRole
from clinicops.clinicians.models import Clinician
from clinicops.kit.search import contains_pattern
from clinicops.organizations.models import Centre


def _staff(organization_id: int, *, include_deleted: bool = False) -> Select:
    """One organization's live staff; soft-deleted ones only when asked for (to list or restore them)."""
    stmt = select(User).where(User.organization_id == organization_id, User.user_type == "STAFF")
    return stmt if include_deleted else stmt.where(User.is_deleted.is_(False))


async def get(session: AsyncSession, organization_id: int, user_id: int, *,
              include_deleted: bool = False) -> User | None:
    stmt = _staff(organization_id, include_deleted=include_deleted).where(User.id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def search(session: AsyncSession, organization_id: int, *, role: str | None, centre_id: int | None,
                 text: str | None, is_active: bool | None, limit: int, offset: int,
                 include_deleted: bool = False) -> tuple[list[User], int]:
    stmt = _staff(organization_id, include_deleted=include_deleted)
    if role or centre_id is not None:
        holders = select(UserRole.user_id)
        if role:
            holders = holders.where(UserRole.role == role)
        if centre_id is not None:
            holders = holders.where(UserRole.centre_id == centre_id)
        stmt = stmt.where(User.id.in_(holders))
    if text:
        pattern = contains_pattern(text.strip())
        digits = "".join(ch for ch in text if ch.isdigit())
        conditions = [User.full_name.ilike(pattern), User.username.ilike(pattern), User.email.ilike(pattern)]
        if len(digits) >= 3:
            conditions.append(User.phone.like(contains_pattern(digits)))
        stmt = stmt.where(or_(*conditions))
    if is_active is not None:
        stmt = stmt.where(User.is_active.is_(is_active))
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(User.full_name, User.id).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def roles_by_user(session: AsyncSession, user_ids: list[int]) -> dict[int, list[tuple[str, int | None]]]:
    found: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    if user_ids:
        rows = await session.execute(select(UserRole.user_id, UserRole.role, UserRole.centre_id)
                                     .where(UserRole.user_id.in_(user_ids)).order_by(UserRole.id))
        for user_id, role, centre_id in rows:
            found[user_id].append((role, centre_id))
    return found


async def centre_names(session: AsyncSession, organization_id: int, centre_ids: set[int]) -> dict[int, str]:
    if not centre_ids:
        return {}
    rows = await session.execute(select(Centre.id, Centre.name).where(
        Centre.organization_id == organization_id, Centre.id.in_(sorted(centre_ids))))
    return {centre_id: name for centre_id, name in rows}


async def deleted_clinician_of(session: AsyncSession, user_id: int) -> int | None:
    """The id of the user's soft-deleted clinician profile, if any (restored through the clinician instead)."""
    return (await session.execute(select(Clinician.id).where(
        Clinician.user_id == user_id, Clinician.is_deleted.is_(True)))).scalar_one_or_none()


async def clinicians_by_user(session: AsyncSession, user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = await session.execute(select(Clinician.user_id, Clinician.id).where(
        Clinician.user_id.in_(user_ids), Clinician.is_deleted.is_(False)))
    return {user_id: clinician_id for user_id, clinician_id in rows}


async def phone_taken(session: AsyncSession, organization_id: int, phone: str, *, except_id: int | None) -> bool:
    stmt = _staff(organization_id).where(User.phone == phone)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def username_taken(session: AsyncSession, username: str, *, except_id: int | None) -> bool:
    """Usernames are unique across every organization and user type (they sign in without one)."""
    stmt = select(User.id).where(func.lower(User.username) == username.lower(), User.is_deleted.is_(False))
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def replace_roles(session: AsyncSession, user_id: int, role: str, centre_ids: list[int]) -> None:
    await session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    for centre_id in centre_ids or [None]:
        session.add(UserRole(user_id=user_id, role=role, centre_id=centre_id))
    await session.flush()


async def reload(session: AsyncSession, user: User) -> User:
    """Re-read database-set columns (updated_at, token_version) after a write."""
    await session.flush()
    await session.refresh(user)
    return user
