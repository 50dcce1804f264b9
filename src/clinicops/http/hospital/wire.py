"""Wire conventions of the hospital surface shared by its routers.

Inputs accept both camelCase and snake_case names (its two shipped clients differ) and ignore extra fields,
but a model only declares what the caller may set, so no body can bind a protected field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from clinicops.authz.principal import Role
from clinicops.http import guards
from clinicops.http.envelope import Json
from clinicops.kit import phones


class HospitalInput(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel,
                              str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """Every field: no NUL in text, integers within bigint, finite numbers (else a 422 naming the field)."""
        reason = guards.problem(value)
        if reason:
            raise ValueError(reason)
        return value


def either(*names: str) -> AliasChoices:
    """Accept any of ``names`` for one field (e.g. ``either("noteText", "note", "text")``)."""
    return AliasChoices(*names)


def phone_field(value: str | None) -> str | None:
    """Validator body: normalize to E.164 or raise ValueError (rendered as a 422 naming the field)."""
    if value is None or value == "":
        return None
    try:
        return phones.normalize(str(value))
    except phones.InvalidPhone as exc:
        raise ValueError(str(exc)) from None


def iso(instant: datetime | None) -> str | None:
    """ISO-8601 with offset (UTC 'Z' form is avoided: the clients parse +00:00 fine and it is explicit)."""
    return instant.isoformat() if instant else None


def listing(items: list[Any], *, total: int, limit: int, offset: int, message: str | None = None) -> JSONResponse:
    """A list the admin panel reads whole: ``data`` is the bare array, ``total`` beside it, ``pagination`` and
    the ``X-Total-Count`` header, so a list cut at ``limit`` never hides rows silently."""
    body: dict[str, Any] = {"success": True, "data": items, "total": total,
                            "pagination": {"total": total, "limit": limit, "offset": offset,
                                           "hasMore": offset + len(items) < total}}
    if message:
        body["message"] = message
    return Json(body, headers={"X-Total-Count": str(total)})


__all__ = ["HospitalInput", "either", "phone_field", "iso", "listing", "parse_role", "Field", "field_validator"]


ROLE_ORDER = ("ADMIN", "MANAGER", "CENTRE_MANAGER", "CLINICIAN", "CARE_COORDINATOR", "FRONT_DESK")


def staff_user(user, roles: list[tuple[str, int | None]], clinician_id: int | None = None) -> dict:
    """The staff ``user`` object the admin panel reads (never a password hash)."""
    names = sorted({r for r, _ in roles}, key=ROLE_ORDER.index)
    body = {
        "id": user.id, "name": user.full_name, "fullName": user.full_name, "email": user.email,
        "phone": phones.national(user.phone), "username": user.username,
        "role": names[0] if names else None, "roles": names, "avatar": user.avatar_url,
        "centreIds": sorted({c for _, c in roles if c is not None}), "isActive": user.is_active,
        "createdAt": iso(user.created_at), "updatedAt": iso(user.updated_at),
    }
    # The panel pre-selects (and limits its pickers to) this centre for centre-bound staff; None = every centre.
    body["assignedCentreId"] = body["centreIds"][0] if len(body["centreIds"]) == 1 else None
    if clinician_id is not None:
        body["clinicianId"] = clinician_id
    return body


ROLE_IDS = {name: number for number, name in enumerate(ROLE_ORDER, start=1)}  # the admin panel's role ids


def parse_role(value: Any) -> Role:
    """A role by name (any case) or by the admin panel's id (1..6)."""
    if isinstance(value, bool):
        raise ValueError("role must be a role name or id")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if not 1 <= number <= len(ROLE_ORDER):
            raise ValueError("role id must be between 1 and 6")
        return Role(ROLE_ORDER[number - 1])
    if isinstance(value, str):
        try:
            return Role(value.strip().upper().replace("-", "_").replace(" ", "_"))
        except ValueError:
            pass
    raise ValueError(f"role must be one of {', '.join(r.value for r in Role)}")


def staff_row(user, roles: list[tuple[str, int | None]], clinician_id: int | None = None,
              centre_names: dict[int, str] | None = None) -> dict:
    """A row of the admin panel's staff pages: the staff ``user`` object plus the names those pages render
    (``full_name``, ``created_at``; the front desk page's ``centreId``/``centreName`` is the first centre)."""
    body = staff_user(user, roles, clinician_id)
    names = centre_names or {}
    first = body["centreIds"][0] if body["centreIds"] else None
    body.update({
        "full_name": user.full_name, "is_active": user.is_active, "isDeleted": user.is_deleted,
        "created_at": body["createdAt"], "updated_at": body["updatedAt"],
        "roleId": ROLE_IDS.get(body["role"]), "role_id": ROLE_IDS.get(body["role"]),
        "centreId": first, "centre_id": first,
        "centreName": names.get(first), "centre_name": names.get(first),
        "centres": [{"id": c, "name": names.get(c)} for c in body["centreIds"]],
    })
    return body
