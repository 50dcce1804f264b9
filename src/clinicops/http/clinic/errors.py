"""The core's errors in the clinic surface's words (registered for ``/api/v1/`` in ``http/errors.py``).

The core names domain fields (``clinician_id``, ``full_name``) and snake_case detail keys; this surface answers in
the camelCase of section 6, with the few names that differ from a plain camelCase listed in :data:`FIELDS`
(a clinician is a doctor here, an organization a clinic). A refusal whose core error carries a ``reason`` listed in
:data:`MESSAGES` is worded as listed. Each area adds its own entries.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from pydantic.alias_generators import to_camel

from clinicops.errors import AppError

# reason -> this surface's wording (str.format with the error's params)
MESSAGES: dict[str, str] = {}
# domain field -> this surface's name for it (default: camelCase)
FIELDS: dict[str, str] = {
    "clinician_id": "doctorId",
    "organization_id": "clinicId",
    # care records (D): a patient record's name, a visit's vital signs and free-text prescription
    "full_name": "name",
    "vitals": "vitalSigns",
    "prescription_text": "prescription",
}

_KEPT_KEYS = frozenset({"field", "message"})
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_FIELD_WORD = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_PATH_PART = re.compile(r"[^.\[\]]+")


def name_of(field: str) -> str:
    """A domain field path (``items.0.unit_price``) in this surface's names (``items.0.unitPrice``)."""
    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        return FIELDS.get(word) or (to_camel(word) if _SNAKE.match(word) else word)

    return _PATH_PART.sub(one, field)


def _words(text: str) -> str:
    """``text`` with the snake_case field names it mentions in this surface's names."""
    return _FIELD_WORD.sub(lambda m: name_of(m.group(0)), text)


async def render(_request: Request, exc: AppError) -> tuple[str, list[dict[str, Any]] | None]:
    """(message, details) of ``exc`` as the clinic surface answers them."""
    wording = MESSAGES.get(exc.reason or "")
    message = wording.format(**exc.params) if wording is not None else _words(exc.message)
    details = None
    if exc.details:
        details = []
        for detail in exc.details:
            out: dict[str, Any] = {key if key in _KEPT_KEYS else to_camel(key): value
                                   for key, value in detail.items()}
            if isinstance(detail.get("field"), str):
                out["field"] = name_of(detail["field"])
            if isinstance(detail.get("message"), str):
                out["message"] = _words(detail["message"])
            details.append(out)
    return message, details
