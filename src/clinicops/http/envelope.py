"""The envelope both surfaces answer in (DESIGN.md "HTTP conventions").

Success: ``{"success": true, "data": ..., "message"?: ...}``; a list page adds ``pagination``. Error:
``{"success": false, "message": ..., "error": {"code", "message", "details"?}}`` (the message twice: shipped
clients read either).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse


def _fallback(value: Any) -> Any:
    """What orjson does not serialise itself (Decimal, sets, pydantic models ...) goes through FastAPI's encoder."""
    return jsonable_encoder(value)


class Json(JSONResponse):
    """A JSON answer serialised by orjson (datetimes, dates, UUIDs, enums and dataclasses natively, as
    ``isoformat``/``str`` would write them; anything else through FastAPI's encoder). Every answer of both
    surfaces is one of these: the generic encoder's walk over each value cost more than the rest of a small read."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_fallback, option=orjson.OPT_NON_STR_KEYS)


def ok(data: Any = None, message: str | None = None, status_code: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "data": data}
    if message:
        body["message"] = message
    return Json(body, status_code=status_code)


def created(data: Any = None, message: str | None = None) -> JSONResponse:
    return ok(data, message, status_code=201)


def clamp_limit(limit: int | None, default: int = 20, maximum: int = 100) -> int:
    if limit is None or limit < 1:
        return default
    return min(limit, maximum)


def paged(items: list[Any], *, total: int, limit: int, offset: int, message: str | None = None) -> JSONResponse:
    """A list page: ``data`` is the list (what the shipped clients map over); ``pagination`` says where it is."""
    body: dict[str, Any] = {"success": True, "data": items,
                            "pagination": {"total": total, "limit": limit, "offset": offset,
                                           "hasMore": offset + len(items) < total}}
    if message:
        body["message"] = message
    return Json(body)


def envelope(status_code: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    """The error body (``status_code`` is the response's status; the body does not repeat it)."""
    body: dict[str, Any] = {"success": False, "message": message, "error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return body
