"""The core's errors in the hospital surface's words.

The core names domain fields (``centre_id``) and snake_case detail keys (``current_status``); this surface
answers in the names its callers use:

- a detail's ``field`` is named in the casing the request carried it in: its two shipped clients differ (the
  patient website sends ``centreId``, the admin panel ``centre_id``). A field the request did not carry under
  either casing (a required one left out, one sent under another alias) is named as :data:`FIELDS` says, else
  in camelCase, the casing of the hospital's documents. A message naming fields of the request names them the
  same way;
- other detail keys are camelCase (``currentStatus``, ``requestedStatus``, ``scheduledStartAt``);
- a refusal whose core error carries a ``reason`` listed in :data:`MESSAGES` is worded as listed, which is where
  the surface's own paths (``/api/clinicians``) are named.
"""

from __future__ import annotations

import json
import re
from typing import Any, get_args

from fastapi import Request
from pydantic.alias_generators import to_camel

from clinicops.errors import AppError

# reason -> the hospital's wording (str.format with the error's params)
MESSAGES: dict[str, str] = {
    "staff.clinician_role": "create and manage clinicians through /api/clinicians",
    "staff.clinician_role_change": "a clinician's role and centres are managed through /api/clinicians",
    "staff.restore_deleted_clinician": ("This user is a deleted clinician; restore them with "
                                        "PATCH /api/clinicians/{clinician_id}/toggle-active"),
    "staff.delete_clinician": "This user is a clinician; delete them through /api/clinicians",
}
# domain field -> the hospital's name for it when the request did not carry it (default: camelCase)
FIELDS: dict[str, str] = {"template": "type", "date_from": "from", "date_to": "to"}

_KEPT_KEYS = frozenset({"field", "message"})
_PATH_PART = re.compile(r"\[\d+\]|[^.\[\]]+")
_SEGMENT = re.compile(r"^[a-z][a-z0-9_]*$")


def camel(name: str) -> str:
    """``current_status`` -> ``currentStatus`` (a name already camelCase, or not snake_case, is kept)."""
    return to_camel(name) if _SEGMENT.match(name) and "_" in name else name


async def render(request: Request, exc: AppError) -> tuple[str, list[dict[str, Any]] | None]:
    """(message, details) of ``exc`` as this surface answers them."""
    wording = MESSAGES.get(exc.reason or "")
    message = wording.format(**exc.params) if wording is not None else exc.message
    sent = _Sent(request, await _body(request))
    details = None
    if exc.details:
        details = []
        for detail in exc.details:
            out = {key if key in _KEPT_KEYS else camel(key): value for key, value in detail.items()}
            field = detail.get("field") if isinstance(detail.get("field"), str) else None
            if field is not None:
                out["field"] = sent.name_of(field)
            if isinstance(detail.get("message"), str):
                text = message if detail["message"] == exc.message else detail["message"]
                out["message"] = _in_callers_words(text, sent, field)
            details.append(out)
    own = exc.details[0].get("field") if exc.details else None
    return _in_callers_words(message, sent, own if isinstance(own, str) else None), details


_FIELD_WORD = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _in_callers_words(text: str, sent: _Sent, own: str | None) -> str:
    """``text`` with each field it names by its domain name (the error's own field, or one the request carries
    or its route accepts) named as the caller names it; other snake_case words (template names …) stay."""
    leaf = own.rsplit(".", 1)[-1] if own else None

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        if word == leaf and own is not None:
            return sent.name_of(own).rsplit(".", 1)[-1]
        return sent.name_of(word) if sent.knows(word) else word

    return _FIELD_WORD.sub(swap, text)


async def _body(request: Request) -> Any:
    """The JSON body, only as FastAPI already read it for the route: the stream is never read here."""
    raw = getattr(request, "_body", None)  # Starlette's cache of request.body()
    if not raw or "json" not in request.headers.get("content-type", ""):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class _Sent:
    """What the request carried (its JSON body and query string), and the fields its route declares."""

    def __init__(self, request: Request, body: Any):
        self.body = body
        self.query = request.query_params
        self.fields = _body_fields(request)
        self.parameters = _query_names(request)

    def knows(self, word: str) -> bool:
        """Whether ``word`` (a domain name) is a field of this request: carried, or accepted by its route."""
        names = (word, camel(word))
        return (word in self.fields or any(n in self.parameters or n in self.query for n in names)
                or (isinstance(self.body, dict) and any(n in self.body for n in names)))

    def name_of(self, field: str) -> str:
        """A domain path (``availability_rules.0.centre_id``, ``slots[1].end_time``), one name at a time, as the
        caller named it; the first name may also be a query parameter."""
        node: Any = self.body
        out, position, first = [], 0, True
        for part in _PATH_PART.finditer(field):
            out.append(field[position:part.start()])
            position = part.end()
            name = part.group(0)
            index = name.strip("[]")
            if index.isdigit() and (name.startswith("[") or isinstance(node, list)):
                out.append(name)
                node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
                continue
            choices = (name, camel(name))
            found = next((c for c in choices if isinstance(node, dict) and c in node), None)
            if found is None and first:
                found = next((c for c in choices if c in self.query), None)
            out.append(found or FIELDS.get(name) or camel(name))
            node = node.get(found) if found is not None and isinstance(node, dict) else None
            first = False
        return "".join(out) + field[position:]


def _body_fields(request: Request) -> frozenset[str]:
    """The fields the route's body model declares (by their names, the snake_case of the domain)."""
    params = getattr(getattr(request.scope.get("route"), "dependant", None), "body_params", None) or []
    return frozenset(name for param in params
                     for model in (param.field_info.annotation, *get_args(param.field_info.annotation))
                     for name in (getattr(model, "model_fields", None) or {}))


def _query_names(request: Request) -> frozenset[str]:
    """The query parameters the route declares, by name and by alias."""
    params = getattr(getattr(request.scope.get("route"), "dependant", None), "query_params", None) or []
    return frozenset(n for param in params for n in (param.name, param.alias) if n)
