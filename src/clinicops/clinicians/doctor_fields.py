"""What each field of a clinic doctor may hold: one rule per field, raising ValidationFailed naming it.

Field names are the clinic surface's concepts in snake_case (``whatsapp_number``, ``advance_amount``), so a
surface renders them as its own names; money is paise.
"""

from __future__ import annotations

from typing import Any

from clinicops.clinicians.working_hours import WorkingHours
from clinicops.errors import ValidationFailed
from clinicops.kit import phones

MAX_NAME = 150
MAX_SPECIALIZATION = 200
MAX_DAILY_LIMIT = 1000


def clean_name(value: str) -> str:
    name = (value or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed("name", f"name must be 1 to {MAX_NAME} characters")
    return name


def clean_phone(value: str) -> str:
    try:
        return phones.normalize(value)
    except phones.InvalidPhone as exc:
        raise ValidationFailed("whatsapp_number", str(exc)) from None


def clean_specialization(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_SPECIALIZATION:
        raise ValidationFailed("specialization", f"specialization must be at most {MAX_SPECIALIZATION} characters")
    return text or None


def check_money(fee_paise: int, advance_paise: int) -> None:
    if fee_paise < 0:
        raise ValidationFailed("consultation_fee", "consultation_fee must not be negative")
    if advance_paise < 0:
        raise ValidationFailed("advance_amount", "advance_amount must not be negative")
    if advance_paise > fee_paise:
        raise ValidationFailed("advance_amount", "advance_amount cannot be more than the consultation_fee")


def check_daily_limit(value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_DAILY_LIMIT:
        raise ValidationFailed("daily_limit", f"daily_limit must be 1 to {MAX_DAILY_LIMIT}")


def working_hours(values: dict[str, Any]) -> WorkingHours:
    """The week ``values`` describe (working_days, start_time, end_time, lunch_break, consultation_duration)."""
    if values["start_time"] is None or values["end_time"] is None:
        raise ValidationFailed("start_time", "start_time and end_time are needed to set the doctor's hours")
    hours = WorkingHours(values["working_days"], values["start_time"], values["end_time"], values["lunch_break"],
                         values["consultation_duration"])
    hours.check()
    return hours


def normalised(name: str, value: Any) -> Any:
    """``value`` of field ``name`` as stored and compared (a phone in E.164, days sorted), or ValidationFailed."""
    if name == "name":
        return clean_name(value)
    if name == "whatsapp_number":
        return clean_phone(value)
    if name == "specialization":
        return clean_specialization(value)
    if name == "working_days":
        if value is None:
            raise ValidationFailed("working_days", "working_days must be a list of days")
        return tuple(sorted(value))
    if name == "lunch_break" and value is not None:
        return tuple(value)
    return value
