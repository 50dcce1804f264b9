"""/api/centres: active centres are public; staff also see inactive ones; ADMIN (and CENTRE_MANAGER) write."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, optional_principal, require
from clinicops.http.hospital.schemas.centres import Centre as CentreBody
from clinicops.http.hospital.wire import Field, HospitalInput, either, iso, phone_field
from clinicops.http.responses import Done, Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import ReaderOrganizationId
from clinicops.kit import phones
from clinicops.http.envelope import created, ok
from clinicops.organizations import service as centres
from clinicops.organizations.models import Centre

router = new_router(prefix="/centres", tags=["centres"])


def centre_wire(centre: Centre) -> dict[str, Any]:
    """The documented Centre; the website also reads address_line_1/address_line_2 in snake_case, the admin panel
    renders (and its edit form splits on ",") the one-line ``address`` and shows ``phone``."""
    phone = phones.national(centre.phone)
    return {
        "id": centre.id, "name": centre.name, "city": centre.city,
        "address": centres.address_of(centre),
        "addressLine1": centre.address_line1, "addressLine2": centre.address_line2,
        "address_line_1": centre.address_line1, "address_line_2": centre.address_line2,
        "pincode": centre.pincode, "phone": phone, "contactPhone": phone, "contact_phone": phone,
        "timezone": centre.timezone, "isActive": centre.is_active, "is_active": centre.is_active,
        "isDeleted": centre.is_deleted, "createdAt": iso(centre.created_at), "updatedAt": iso(centre.updated_at),
    }


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _CentreFields(HospitalInput):
    """The city is checked by the service, against the cities the caller's organization operates in."""

    @field_validator("pincode", "contact_phone", mode="before", check_fields=False)
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        return _text(value)

    @field_validator("contact_phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return phone_field(value)


_PINCODE = r"^\d{6}$"
_LINE1 = either("addressLine1", "address_line1", "address_line_1", "address")
_LINE2 = either("addressLine2", "address_line2", "address_line_2")
_PHONE = either("contactPhone", "contact_phone", "phone")


class CentreCreate(_CentreFields):
    name: str = Field(min_length=1, max_length=150)
    city: str = Field(max_length=100)
    address_line1: str = Field(validation_alias=_LINE1, min_length=1, max_length=255)
    address_line2: str | None = Field(None, validation_alias=_LINE2, max_length=255)
    pincode: str | None = Field(None, pattern=_PINCODE)
    contact_phone: str | None = Field(None, validation_alias=_PHONE)
    timezone: str | None = Field(None, max_length=64)
    is_active: bool = True


class CentreUpdate(_CentreFields):
    name: str | None = Field(None, min_length=1, max_length=150)
    city: str | None = Field(None, max_length=100)
    address_line1: str | None = Field(None, validation_alias=_LINE1, min_length=1, max_length=255)
    address_line2: str | None = Field(None, validation_alias=_LINE2, max_length=255)
    pincode: str | None = Field(None, pattern=_PINCODE)
    contact_phone: str | None = Field(None, validation_alias=_PHONE)
    timezone: str | None = Field(None, max_length=64)
    is_active: bool | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if "contact_phone" in data:
            data["phone"] = data.pop("contact_phone")
        if data.get("is_active", True) is None:
            del data["is_active"]
        return data


class ActiveToggle(HospitalInput):
    is_active: bool


@router.get("", response_model=Envelope[list[CentreBody]])
async def list_centres(organization_id: ReaderOrganizationId, city: str | None = Query(None, max_length=100),
                       is_active: bool | None = Query(None, alias="isActive"),
                       include_deleted: bool = Query(False, alias="includeDeleted",
                                                     description="Staff: also list deleted centres (to restore them)."),
                       principal: Principal | None = Depends(optional_principal),
                       session: AsyncSession = Depends(get_db)) -> JSONResponse:
    rows = await centres.list_centres(session, principal, organization_id=organization_id, city=city,
                                      is_active=is_active, include_deleted=include_deleted)
    response = ok([centre_wire(c) for c in rows])
    response.headers["X-Total-Count"] = str(len(rows))  # never paged: every centre is in the list
    return response


@router.get("/{centre_id:int}", response_model=Envelope[CentreBody])
async def get_centre(centre_id: int, organization_id: ReaderOrganizationId,
                     principal: Principal | None = Depends(optional_principal),
                     session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return ok(centre_wire(await centres.get_centre(session, principal, centre_id, organization_id=organization_id)))


@router.post("", status_code=201, response_model=Envelope[CentreBody])
async def create_centre(body: CentreCreate, principal: Principal = Depends(require(policies.MANAGE_CENTRES)),
                        session: AsyncSession = Depends(get_db)) -> JSONResponse:
    centre = await centres.create_centre(
        session, principal, name=body.name, city=body.city, address_line1=body.address_line1,
        address_line2=body.address_line2, pincode=body.pincode, phone=body.contact_phone,
        timezone=body.timezone, is_active=body.is_active)
    return created(centre_wire(centre), "Centre created")


@router.put("/{centre_id:int}", response_model=Envelope[CentreBody])
async def update_centre(centre_id: int, body: CentreUpdate,
                        principal: Principal = Depends(require(policies.EDIT_CENTRES)),
                        session: AsyncSession = Depends(get_db)) -> JSONResponse:
    centre = await centres.update_centre(session, principal, centre_id, changes=body.changes())
    return ok(centre_wire(centre), "Centre updated")


@router.patch("/{centre_id:int}/toggle-active", response_model=Envelope[CentreBody])
async def toggle_centre(centre_id: int, body: ActiveToggle, principal: Principal = Depends(require(policies.MANAGE_CENTRES)),
                        session: AsyncSession = Depends(get_db)) -> JSONResponse:
    centre = await centres.set_centre_active(session, principal, centre_id, is_active=body.is_active)
    return ok(centre_wire(centre), "Centre activated" if centre.is_active else "Centre deactivated")


@router.delete("/{centre_id:int}", response_model=Done)
async def delete_centre(centre_id: int, principal: Principal = Depends(require(policies.MANAGE_CENTRES)),
                        session: AsyncSession = Depends(get_db)) -> JSONResponse:
    await centres.delete_centre(session, principal, centre_id)
    return ok(None, "Centre deleted")
