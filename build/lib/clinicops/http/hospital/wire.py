"""Wire conventions of the hospital surface shared by its routers.

Inputs accept both camelCase and snake_case names (its two shipped clients differ) and ignore extra fields,
but a model only declares what the caller may set, so no body can bind a protected field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from clinicops.http import guards
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


__all__ = ["HospitalInput", "either", "phone_field", "iso", "Field", "field_validator"]


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
    if clinician_id is not None:
        body["clinicianId"] = clinician_id
    return body
