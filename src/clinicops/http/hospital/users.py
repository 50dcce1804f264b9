"""/api/users: staff user management (ADMIN; front-desk creation also MANAGER)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import EmailStr, WithJsonSchema, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import credentials, staff
from clinicops.authz import policies
from clinicops.authz.principal import Principal, Role
from clinicops.errors import ValidationFailed
from clinicops.http.deps import get_db, require
from clinicops.http.hospital.schemas.people import StaffRow
from clinicops.http.hospital.wire import Field, HospitalInput, either, parse_role, phone_field, staff_row
from clinicops.http.responses import Done, Envelope, Page
from clinicops.http.routing import new_router
from clinicops.http.envelope import clamp_limit, created, ok, paged

router = new_router(prefix="/users", tags=["users"])
admin = require(policies.MANAGE_STAFF)

_NAME = either("fullName", "full_name", "name")
_ROLE = either("role", "roleId", "role_id")
_ROLES = either("role_ids", "roleIds")
# role_ids arrives as a list of the panel's role ids and is kept as the one role it names (see _roles)
RoleIds = Annotated[Role | None, WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1,
                                                                            "maximum": 6}})]
_CENTRES = either("centreIds", "centre_ids", "centreId", "centre_id")
_USERNAME = credentials.USERNAME_PATTERN
# The admin panel does not page its staff lists (it shows what the first answer holds), so a list answers up to
# LIST_LIMIT rows by default, with the total in `pagination` and in the X-Total-Count header.
LIST_LIMIT = 500


def wire(view: staff.StaffView) -> dict[str, Any]:
    return staff_row(view.user, view.roles, view.clinician_id, view.centre_names)


class _StaffFields(HospitalInput):
    @field_validator("email", "username", "password", mode="before", check_fields=False)
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("phone", mode="before", check_fields=False)
    @classmethod
    def _phone(cls, value: Any) -> Any:
        if value is None:
            return None
        normalized = phone_field(str(value))
        if normalized is None:
            raise ValueError("phone is required")
        return normalized

    @field_validator("role", mode="before", check_fields=False)
    @classmethod
    def _role(cls, value: Any) -> Any:
        return None if value is None or value == "" else parse_role(value)

    @field_validator("centre_ids", mode="before", check_fields=False)
    @classmethod
    def _centres(cls, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return [value]

    @field_validator("role_ids", mode="before", check_fields=False)
    @classmethod
    def _roles(cls, value: Any) -> Any:
        """The first backend's general form sends ``role_ids: [n]``; a staff user holds one role here."""
        if value is None:
            return None
        roles = {parse_role(v) for v in (value if isinstance(value, list) else [value])}
        if len(roles) > 1:
            raise ValueError("give one role: a staff user holds a single role")
        return next(iter(roles), None)

    def chosen_role(self) -> Role | None:
        return self.role or self.role_ids


class StaffCreate(_StaffFields):
    full_name: str = Field(validation_alias=_NAME, min_length=1, max_length=150)
    phone: str
    email: EmailStr | None = None
    username: str | None = Field(None, pattern=_USERNAME)
    password: str | None = Field(None, min_length=credentials.PASSWORD_MIN_LENGTH,
                                 max_length=credentials.PASSWORD_MAX_LENGTH)
    role: Role | None = Field(None, validation_alias=_ROLE)
    role_ids: RoleIds = Field(None, validation_alias=_ROLES)
    centre_ids: list[int] = Field(default_factory=list, validation_alias=_CENTRES)


class StaffUpdate(_StaffFields):
    full_name: str | None = Field(None, validation_alias=_NAME, min_length=1, max_length=150)
    phone: str | None = None
    email: EmailStr | None = None
    username: str | None = Field(None, pattern=_USERNAME)
    password: str | None = Field(None, min_length=credentials.PASSWORD_MIN_LENGTH,
                                 max_length=credentials.PASSWORD_MAX_LENGTH)
    role: Role | None = Field(None, validation_alias=_ROLE)
    role_ids: RoleIds = Field(None, validation_alias=_ROLES)
    centre_ids: list[int] | None = Field(None, validation_alias=_CENTRES)
    is_active: bool | None = None

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True)
        role_ids = changes.pop("role_ids", None)
        if role_ids is not None and changes.get("role") is None:
            changes["role"] = role_ids
        return changes


class ActiveToggle(HospitalInput):
    is_active: bool


_ROLE_DOC = "A role name (any case) or the admin panel's role id 1..6."


def _role_filter(role: str | None = Query(None, max_length=40, json_schema_extra={"enum": [r.value for r in Role]},
                                         description=_ROLE_DOC),
                 role_id: str | None = Query(None, alias="roleId", max_length=40,
                                             description=f"Same as `role` (the admin panel sends this). {_ROLE_DOC}"),
                 role_id_snake: str | None = Query(None, alias="role_id", max_length=40, description="Same as `role`."),
                 ) -> Role | None:
    for name, value in (("roleId", role_id), ("role_id", role_id_snake), ("role", role)):
        if value:
            try:
                return parse_role(value)
            except ValueError as exc:
                raise ValidationFailed(name, str(exc)) from None
    return None


async def _create(session: AsyncSession, principal: Principal, body: StaffCreate, role: Role | None) -> JSONResponse:
    view = await staff.create_user(
        session, principal, full_name=body.full_name, phone=body.phone, role=role, centre_ids=body.centre_ids,
        email=body.email, username=body.username, password=body.password)
    return created(wire(view), "User created")


@router.get("", response_model=Page[StaffRow])
async def list_users(role: Role | None = Depends(_role_filter), search: str | None = Query(None, max_length=100),
                     centre_id: int | None = Query(None, alias="centreId"),
                     is_active: bool | None = Query(None, alias="isActive"),
                     include_deleted: bool = Query(False, alias="includeDeleted",
                                                   description="Also list soft-deleted staff (to restore them)."),
                     limit: int | None = Query(None), offset: int = Query(0, ge=0), page: int | None = Query(None, ge=1),
                     principal: Principal = Depends(admin), session: AsyncSession = Depends(get_db)) -> JSONResponse:
    size = clamp_limit(limit, default=LIST_LIMIT, maximum=LIST_LIMIT)
    start = (page - 1) * size if page else offset
    views, total = await staff.list_users(
        session, principal, role=role, centre_id=centre_id, search=search,
        is_active=is_active, include_deleted=include_deleted, limit=size, offset=start)
    response = paged([wire(v) for v in views], total=total, limit=size, offset=start)
    response.headers["X-Total-Count"] = str(total)
    return response


@router.get("/{user_id:int}", response_model=Envelope[StaffRow])
async def get_user(user_id: int, principal: Principal = Depends(admin),
                   session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return ok(wire(await staff.get_user(session, principal, user_id)))


@router.post("", status_code=201, response_model=Envelope[StaffRow])
async def create_user(body: StaffCreate, principal: Principal = Depends(admin),
                      session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return await _create(session, principal, body, body.chosen_role())


@router.post("/managers", status_code=201, response_model=Envelope[StaffRow])
async def create_manager(body: StaffCreate, principal: Principal = Depends(admin),
                         session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return await _create(session, principal, body, Role.MANAGER)


@router.post("/centre-managers", status_code=201, response_model=Envelope[StaffRow])
async def create_centre_manager(body: StaffCreate, principal: Principal = Depends(admin),
                                session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return await _create(session, principal, body, Role.CENTRE_MANAGER)


@router.post("/care-coordinators", status_code=201, response_model=Envelope[StaffRow])
async def create_care_coordinator(body: StaffCreate, principal: Principal = Depends(admin),
                                  session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return await _create(session, principal, body, Role.CARE_COORDINATOR)


@router.post("/front-desk", status_code=201, response_model=Envelope[StaffRow])
async def create_front_desk(body: StaffCreate, principal: Principal = Depends(require(policies.MANAGE_FRONT_DESK)),
                            session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return await _create(session, principal, body, Role.FRONT_DESK)


@router.put("/{user_id:int}", response_model=Envelope[StaffRow])
async def update_user(user_id: int, body: StaffUpdate, principal: Principal = Depends(admin),
                      session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return ok(wire(await staff.update_user(session, principal, user_id, changes=body.changes())), "User updated")


@router.patch("/{user_id:int}/toggle-active", response_model=Envelope[StaffRow])
async def toggle_user(user_id: int, body: ActiveToggle, principal: Principal = Depends(admin),
                      session: AsyncSession = Depends(get_db)) -> JSONResponse:
    view = await staff.set_active(session, principal, user_id, is_active=body.is_active)
    return ok(wire(view), "User activated" if view.user.is_active else "User deactivated")


@router.delete("/{user_id:int}", response_model=Done)
async def delete_user(user_id: int, principal: Principal = Depends(admin),
                      session: AsyncSession = Depends(get_db)) -> JSONResponse:
    await staff.delete_user(session, principal, user_id)
    return ok(None, "User deleted")
