"""The one place errors become the envelope.

An application error is worded by the surface that was called (``SURFACES``): the core names domain fields and
snake_case detail keys, and each surface renders them in its own names (``http/hospital/errors.py``). A path of
no surface gets the core's own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from clinicops.errors import AppError
from clinicops.http.clinic import errors as clinic
from clinicops.http.envelope import Json, envelope
from clinicops.http.hospital import errors as hospital
from clinicops.logging import get_logger

log = get_logger("clinicops.errors")

_HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE", 413: "PAYLOAD_TOO_LARGE",
               415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED"}


Renderer = Callable[[Request, AppError], Awaitable[tuple[str, list[dict[str, Any]] | None]]]


async def _core_words(_request: Request, exc: AppError) -> tuple[str, list[dict[str, Any]] | None]:
    return exc.message, exc.details


# (path prefix, renderer), most specific first
SURFACES: tuple[tuple[str, Renderer], ...] = (("/api/v1/", clinic.render), ("/api/", hospital.render))


def _renderer(path: str) -> Renderer:
    return next((render for prefix, render in SURFACES if path.startswith(prefix)), _core_words)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return Json(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


# SQLSTATE classes of a database that cannot take the request right now: 08 connection exception, 53 insufficient
# resources (53300 too many connections), 57 operator intervention (57P01 shutting down, 57P03 starting up).
_UNAVAILABLE_CLASSES = ("08", "53", "57")
UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly"
RETRY_AFTER = {"Retry-After": "5"}


def _chain(exc: BaseException):
    """The exception, the driver error it wraps and its causes (bounded: chains can loop)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 8:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
    return seen


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database could not be reached or refused connections for now (a 503)."""
    for link in _chain(exc):
        state = getattr(link, "sqlstate", None) or getattr(link, "pgcode", None)
        if isinstance(state, str) and state[:2] in _UNAVAILABLE_CLASSES:
            return True
        if isinstance(link, (OSError, PoolTimeout)) and not isinstance(link, FileNotFoundError):
            return True
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        if type(link).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and \
                "connection" in str(link).lower() and "closed" in str(link).lower():
            return True
    return False


def unavailable_response() -> JSONResponse:
    return _json(503, envelope(503, "SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE), RETRY_AFTER)


def _constraint_error(exc: DBAPIError) -> tuple[int, str, str] | None:
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    if sqlstate == "23P01":
        return 409, "SLOT_UNAVAILABLE", "This time overlaps another appointment of the clinician"
    if sqlstate == "23505":
        return 409, "DUPLICATE", "A record with these details already exists"
    if sqlstate == "23503":
        return 409, "CONFLICT", "A referenced record does not exist or is still in use"
    if sqlstate == "23514":
        return 422, "VALIDATION_ERROR", "A value is outside what is allowed"
    if sqlstate == "40001" or sqlstate == "40P01":
        return 409, "CONFLICT", "The record changed at the same time; try again"
    # class 22 (data exception: out of range, too long, NUL byte, bad encoding) and asyncpg's own refusal of a
    # parameter it cannot encode (no SQLSTATE) are the caller's input, never our fault: a 422, not a 500
    if (sqlstate or "").startswith("22") or (sqlstate is None and isinstance(exc, DataError)):
        return 422, "VALIDATION_ERROR", "A value in the request is out of range or not valid"
    return None


def _detail(err: dict) -> dict[str, str]:
    """One field-level message a front desk can act on."""
    kind = err.get("type")
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error") or "it could not be parsed"
        position = err.get("loc", (None, None))[-1]
        where = f" (at character {position})" if isinstance(position, int) else ""
        return {"field": "body", "message": f"The request body is not valid JSON{where}: {reason}"}
    value = err.get("input")
    if isinstance(value, float) and not math.isfinite(value):
        name = "NaN" if math.isnan(value) else "Infinity"
        return {"field": _field(tuple(err.get("loc", ()))), "message": f"{name} is not an allowed value"}
    message = str(err.get("msg", "Invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return {"field": _field(tuple(err.get("loc", ()))), "message": message}


_INT_PARAM = re.compile(r"\{(\w+):int\}")


def _loose_id_routes(app: FastAPI) -> list[tuple[re.Pattern[str], list[str]]]:
    """Each route with integer path parameters, as a pattern that takes any text where the integer goes."""
    from fastapi.routing import iter_route_contexts

    patterns = []
    for context in iter_route_contexts(app.routes):
        path = getattr(context, "path", None) or ""
        names = _INT_PARAM.findall(path)
        if not names:
            continue
        pieces = re.split(r"(\{\w+(?::\w+)?\})", path)
        regex = "".join(
            f"(?P<{piece[1:-1].split(':')[0]}>[^/]+)" if piece.startswith("{") else re.escape(piece)
            for piece in pieces)
        patterns.append((re.compile(f"^{regex}$"), names))
    return patterns


def _malformed_id(request: Request) -> tuple[str, str] | None:
    """(name, text) of the path parameter that failed its int convertor, when the path names a real route."""
    patterns = getattr(request.app.state, "loose_id_routes", None)
    if patterns is None:
        patterns = request.app.state.loose_id_routes = _loose_id_routes(request.app)
    for pattern, names in patterns:
        match = pattern.match(request.url.path)
        if match:
            bad = [(name, match.group(name)) for name in names if not match.group(name).isdigit()]
            if bad:
                return bad[0]
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        message, details = await _renderer(request.url.path)(request, exc)
        return _json(exc.status, envelope(exc.status, exc.code, message, details), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_detail(err) for err in exc.errors()]
        first = details[0] if details else {"field": "body", "message": "Invalid request"}
        message = f"{first['field']}: {first['message']}"
        return _json(422, envelope(422, "VALIDATION_ERROR", message, details))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
        if exc.status_code == 404 and message == "Not Found":
            malformed = _malformed_id(request)
            if malformed:  # /api/clinicians/abc: the route exists, its id does not parse
                name, text = malformed
                detail = {"field": name, "message": f"{text[:40]!r} is not an id: ids are whole numbers"}
                return _json(422, envelope(422, "VALIDATION_ERROR", f"{name}: {detail['message']}", [detail]))
            message = "No such endpoint"
        return _json(exc.status_code, envelope(exc.status_code, code, message), getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        mapped = _constraint_error(exc) or (409, "CONFLICT", "The request conflicts with existing data")
        return _json(mapped[0], envelope(*mapped))

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database_unavailable", error=type(exc.orig).__name__ if exc.orig else str(exc)[:200])
        return unavailable_response()

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        if database_unavailable(exc):  # the database went away or is starting/stopping; the pool reconnects
            log.error("database_unavailable", error=type(exc.orig).__name__ if exc.orig else str(exc)[:200])
            return unavailable_response()
        mapped = _constraint_error(exc)
        if mapped:
            return _json(mapped[0], envelope(*mapped))
        log.error("database_error", error=str(exc.orig)[:300] if exc.orig else str(exc)[:300])
        return _json(500, envelope(500, "INTERNAL_ERROR", "Something went wrong on our side"))

    @app.exception_handler(OSError)
    async def connection_error(_request: Request, exc: OSError) -> JSONResponse:
        log.error("database_unreachable", error=type(exc).__name__)
        return unavailable_response()

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(_request: Request, exc: PoolTimeout) -> JSONResponse:
        log.error("database_pool_timeout")
        return unavailable_response()
