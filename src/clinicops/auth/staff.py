"""Staff user management: list, read, create, update, (de)activate and soft-delete staff of one organization.

Clinician users are created and deleted through the clinicians use cases (they need a clinician profile), so
the CLINICIAN role cannot be granted or removed here. Any change that alters what a user may do (deactivation,
deletion, a role or centre change, a new password) revokes their sessions and bumps ``token_version``, so
tokens already issued fail on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import sessions
from clinicops.auth import staff_repository as repository
from clinicops.auth.models import User
from clinicops.auth.passwords import hash_password
from clinicops.authz.principal import Principal, Role
from clinicops.errors import Conflict, Duplicate, Forbidden, NotFound, ValidationFailed
from clinicops.organizations import repository as centres

CENTRE_BOUND = frozenset({Role.CENTRE_MANAGER, Role.CARE_COORDINATOR, Role.FRONT_DESK})
# Fields an update may carry (the wire layer maps its names onto these).
UPDATABLE = ("full_name", "phone", "email", "username", "password", "role", "centre_ids", "is_active")


@dataclass(frozen=True)
class StaffView:
    user: User
    roles: list[tuple[str, int | None]]
    clinician_id: int | None
    centre_names: dict[int, str] = field(default_factory=dict)


def _may_grant(principal: Principal, role: Role) -> bool:
    if principal.has(Role.ADMIN):
        return True
    return role == Role.FRONT_DESK and principal.has(Role.MANAGER)


async def _views(session: AsyncSession, users: list[User]) -> list[StaffView]:
    ids = [u.id for u in users]
    roles = await repository.roles_by_user(session, ids)
    clinicians = await repository.clinicians_by_user(session, ids)
    centre_ids = {c for held in roles.values() for _, c in held if c is not None}
    names = await repository.centre_names(session, users[0].organization_id, centre_ids) if users else {}
    return [StaffView(u, roles.get(u.id, []), clinicians.get(u.id),
                      {c: names[c] for _, c in roles.get(u.id, []) if c in names}) for u in users]


async def _view(session: AsyncSession, user: User) -> StaffView:
    return (await _views(session, [user]))[0]


async def _staff(session: AsyncSession, principal: Principal, user_id: int, *,
                 include_deleted: bool = False) -> User:
    assert principal.organization_id is not None
    user = await repository.get(session, principal.organization_id, user_id, include_deleted=include_deleted)
    if user is None:
        raise NotFound("User not found")
    return user


async def list_users(session: AsyncSession, principal: Principal, *, role: Role | None = None,
                     centre_id: int | None = None, search: str | None = None, is_active: bool | None = None,
                     include_deleted: bool = False, limit: int = 20,
                     offset: int = 0) -> tuple[list[StaffView], int]:
    assert principal.organization_id is not None
    users, total = await repository.search(
        session, principal.organization_id, role=role.value if role else None, centre_id=centre_id,
        text=search, is_active=is_active, include_deleted=include_deleted, limit=limit, offset=offset)
    return await _views(session, users), total


async def get_user(session: AsyncSession, principal: Principal, user_id: int) -> StaffView:
    return await _view(session, await _staff(session, principal, user_id))


async def _check_role(session: AsyncSession, principal: Principal, role: Role, centre_ids: list[int]) -> list[int]:
    """The centre ids to store for ``role`` (validated to be this organization's live centres)."""
    if role == Role.CLINICIAN:
        raise ValidationFailed("role", "clinicians are created and managed with their clinician profile",
                               reason="staff.clinician_role")
    if not _may_grant(principal, role):
        raise Forbidden("Your role does not allow granting this role")
    wanted = sorted(set(centre_ids))
    assert principal.organization_id is not None
    known = await centres.existing_centre_ids(session, principal.organization_id, set(wanted))
    if set(wanted) - known:
        raise ValidationFailed("centre_ids", "unknown centre id: "
                               + ", ".join(str(c) for c in sorted(set(wanted) - known)))
    if role in CENTRE_BOUND and not wanted:
        raise ValidationFailed("centre_ids", f"a {role.value} must be assigned at least one centre")
    return [] if role == Role.ADMIN else wanted


async def _check_unique(session: AsyncSession, organization_id: int, *, phone: str | None,
                        username: str | None, except_id: int | None) -> None:
    if phone and await repository.phone_taken(session, organization_id, phone, except_id=except_id):
        raise Duplicate("A staff member with this phone already exists",
                        details=[{"field": "phone", "message": "already in use"}])
    if username and await repository.username_taken(session, username, except_id=except_id):
        raise Duplicate("This username is taken", details=[{"field": "username", "message": "already in use"}])


async def create_user(session: AsyncSession, principal: Principal, *, full_name: str, phone: str,
                      role: Role | None, centre_ids: list[int] | None = None, email: str | None = None,
                      username: str | None = None, password: str | None = None) -> StaffView:
    assert principal.organization_id is not None
    if role is None:
        raise ValidationFailed("role", "role is required")
    stored_centres = await _check_role(session, principal, role, centre_ids or [])
    await _check_unique(session, principal.organization_id, phone=phone, username=username, except_id=None)
    user = await repository.add(session, User(
        organization_id=principal.organization_id, user_type="STAFF", phone=phone, email=email,
        username=username, full_name=full_name, password_hash=hash_password(password) if password else None))
    await repository.replace_roles(session, user.id, role.value, stored_centres)
    return await _view(session, await repository.reload(session, user))


def _current_role(roles: list[tuple[str, int | None]]) -> Role | None:
    names = {Role(r) for r, _ in roles}
    return next((role for role in Role if role in names), None)


async def _apply_role_change(session: AsyncSession, principal: Principal, view: StaffView,
                             changes: dict[str, Any]) -> bool:
    """Replace the user's role/centres if the update changes them; True when it did."""
    if "role" not in changes and "centre_ids" not in changes:
        return False
    current = _current_role(view.roles)
    role: Role | None = changes.get("role") or current
    if role is None:
        raise ValidationFailed("role", "role is required")
    current_centres = sorted({c for _, c in view.roles if c is not None})
    centre_ids = changes["centre_ids"] if changes.get("centre_ids") is not None else current_centres
    if role == current and sorted(set(centre_ids)) == current_centres:
        return False
    if view.user.id == principal.user_id:
        raise Forbidden("You cannot change your own role or centres")
    if Role.CLINICIAN in {Role(r) for r, _ in view.roles}:
        raise ValidationFailed("role", "a clinician's role and centres are managed with their clinician profile",
                               reason="staff.clinician_role_change")
    stored = await _check_role(session, principal, role, centre_ids)
    await repository.replace_roles(session, view.user.id, role.value, stored)
    return True


async def update_user(session: AsyncSession, principal: Principal, user_id: int, *,
                      changes: dict[str, Any]) -> StaffView:
    assert not set(changes) - set(UPDATABLE), changes
    view = await get_user(session, principal, user_id)
    user = view.user
    if changes.get("is_active") is False and user.id == principal.user_id:
        raise Forbidden("You cannot deactivate your own account")
    for required in ("full_name", "phone"):
        if required in changes and not changes[required]:
            raise ValidationFailed(required, f"{required} cannot be empty")
    await _check_unique(session, user.organization_id, phone=changes.get("phone"),
                        username=changes.get("username"), except_id=user.id)
    revoke: list[str] = []
    if await _apply_role_change(session, principal, view, changes):
        revoke.append("role_changed")
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
        revoke.append("password_changed")
    if "is_active" in changes and changes["is_active"] is not None and changes["is_active"] != user.is_active:
        user.is_active = changes["is_active"]
        if not user.is_active:
            revoke.append("deactivated")
    for name in ("full_name", "phone", "email", "username"):
        if name in changes:
            setattr(user, name, changes[name])
    await session.flush()
    if revoke:
        await sessions.revoke_all_for_user(session, user.id, ",".join(revoke))
    return await _view(session, await repository.reload(session, user))


async def set_active(session: AsyncSession, principal: Principal, user_id: int, *, is_active: bool) -> StaffView:
    """``toggle-active``. Activating a soft-deleted user restores them (a deleted one cannot be deactivated)."""
    user = await _staff(session, principal, user_id, include_deleted=True)
    if user.is_deleted:
        if not is_active:
            raise NotFound("User not found")
        return await _restore(session, user)
    return await update_user(session, principal, user_id, changes={"is_active": is_active})


async def _restore(session: AsyncSession, user: User) -> StaffView:
    """Undo a soft delete. The phone and username were freed by the delete, so someone may hold them now (409);
    old sessions stay revoked (the delete bumped ``token_version``)."""
    clinician_id = await repository.deleted_clinician_of(session, user.id)
    if clinician_id is not None:
        raise Conflict("This user is a deleted clinician; restore them as a clinician",
                       reason="staff.restore_deleted_clinician", params={"clinician_id": clinician_id})
    await _check_unique(session, user.organization_id, phone=user.phone, username=user.username,
                        except_id=user.id)
    user.is_deleted = False
    user.is_active = True
    return await _view(session, await repository.reload(session, user))


async def delete_user(session: AsyncSession, principal: Principal, user_id: int) -> None:
    """Soft delete: the row stays for history; the phone and username become free again."""
    view = await get_user(session, principal, user_id)
    if view.user.id == principal.user_id:
        raise Forbidden("You cannot delete your own account")
    if view.clinician_id is not None:
        raise Conflict("This user is a clinician; delete them as a clinician", reason="staff.delete_clinician")
    view.user.is_deleted = True
    view.user.is_active = False
    await session.flush()
    await sessions.revoke_all_for_user(session, view.user.id, "deleted")
