"""Input the system can never store or compute with, refused before it is used (a 4xx naming the field).

PostgreSQL rejects a NUL character in text and integers beyond bigint, asyncpg only finds out when the query runs,
and dates at the ends of the calendar overflow the moment a day is added to them. Checking here covers every route,
including those that read the query string by hand; request bodies get the same checks in ``wire.HospitalInput``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from starlette.requests import Request

from clinicops.errors import NotFound, ValidationFailed

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# wide enough for any birth date or booking, far enough from year 1 and 9999 that date arithmetic cannot overflow
MIN_YEAR, MAX_YEAR = 1800, 2999
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_ISO_DATE = re.compile(r"^\s*([+-]?\d{4,})-\d{2}-\d{2}([T ][0-9:.,]+(Z|[+-][0-9:]+)?)?\s*$", re.IGNORECASE)


def problem(value: Any) -> str | None:
    """Why ``value`` (a decoded JSON value or a validated field) cannot be used, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else "number is out of range"
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, str):
        return "must not contain NUL characters" if "\x00" in value else None
    if isinstance(value, date | datetime):
        return None if MIN_YEAR <= value.year <= MAX_YEAR else f"must be between the years {MIN_YEAR} and {MAX_YEAR}"
    if isinstance(value, dict):
        return next((p for p in map(problem, [*value.keys(), *value.values()]) if p), None)
    if isinstance(value, list | tuple | set | frozenset):
        return next((p for p in map(problem, value) if p), None)
    return None


def _year_problem(text: str) -> str | None:
    """A query value that is an ISO date or instant (routes parse these by hand) must be within the years too.

    Only query values: a body's dates are typed fields, and its free text (a password) may look like a date.
    """
    match = _ISO_DATE.match(text)
    if match and not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        return f"must be between the years {MIN_YEAR} and {MAX_YEAR}"
    return None


def _fits_bigint(text: str) -> bool:
    digits = text.strip().lstrip("+-").lstrip("0")
    # compared by length first: int() refuses over 4300 digits, and a query string can carry more
    return len(digits) <= 19 and INT64_MIN <= int(text) <= INT64_MAX


def check_request(request: Request) -> None:
    """Raise for an out-of-range path id (404: no such record can exist) or an unusable query value (422)."""
    for name, value in request.path_params.items():
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise NotFound(f"No record with this {name}")
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed(name, f"{name} must not contain NUL characters")
    for name, value in request.query_params.multi_items():
        field = name.replace("\x00", "") or "query"
        if "\x00" in name:
            raise ValidationFailed(field, f"{field} must not contain NUL characters")
        if _INTEGER.match(value) and not _fits_bigint(value):
            raise ValidationFailed(field, f"{field} is out of range")
        reason = problem(value) or _year_problem(value)
        if reason:
            raise ValidationFailed(field, f"{field} {reason}")
