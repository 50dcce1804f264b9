"""Base classes of the clinic surface's wire models: camelCase on the wire, snake_case in Python.

- :class:`Body` — a request body: fields are declared in snake_case and read from their camelCase names only
  (``patient_id`` ← ``"patientId"``); any other field is refused with a 422 naming it (DESIGN.md: the clinic
  surface forbids extra fields); strings are trimmed; numbers are not taken from strings, nor booleans from
  numbers (``strict``), except where a field says otherwise.
- :class:`Wire` — a response part: declared in snake_case, sent in camelCase (:meth:`Wire.dump`). Nothing else
  is allowed, so the model is the whole contract (tests/contract.py holds every response to it).

Route handlers return ``ok(SomeWire(...).dump())``; the ``response_model`` is ``Envelope[SomeWire]``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from clinicops.kit import phones


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", strict=True,
                              str_strip_whitespace=True, frozen=True)

    def given(self) -> dict[str, Any]:
        """The fields the caller sent (for partial updates), by their snake_case names."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def dump(self) -> dict[str, Any]:
        """The JSON-ready camelCase dict this part goes out as."""
        return self.model_dump(mode="json", by_alias=True)


def _phone(value: str) -> str:
    try:
        return phones.normalize(value)
    except phones.InvalidPhone as exc:
        raise ValueError(str(exc)) from None


# A phone in a request ("+919876543210", "9876543210", "919876543210"), stored in E.164.
Phone = Annotated[str, Field(min_length=10, max_length=20, examples=["+919876543210"]), AfterValidator(_phone)]
# A phone in a response: E.164, as section 6 shows it.
PhoneOut = Annotated[str, Field(examples=["+919876543210"])]
# Passwords are taken as typed (never trimmed).
Password = Annotated[str, StringConstraints(strip_whitespace=False), Field(min_length=1, max_length=1024)]
# A new password: long enough to matter; the upper bound keeps hashing cheap to refuse.
NewPassword = Annotated[str, StringConstraints(strip_whitespace=False), Field(min_length=8, max_length=128)]
Otp = Annotated[str, Field(pattern=r"^\d{6}$", examples=["123456"])]
# Days of the week by name; index 0 is SUNDAY, as the core counts them (0 = Sunday .. 6 = Saturday).
WEEKDAY_NAMES = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
WeekdayName = Literal["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]


def weekday_numbers(names: list[str]) -> list[int]:
    return sorted({WEEKDAY_NAMES.index(name) for name in names})


def weekday_names(numbers: list[int]) -> list[str]:
    return [WEEKDAY_NAMES[n] for n in sorted(set(numbers))]
