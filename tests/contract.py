"""The response contract, checked on every request the test client makes.

The ``client`` and ``committed`` fixtures talk to the app through :class:`ContractChecked`: each JSON response is
validated against what its route declares for OpenAPI (strictly: an id sent as a string, money as a string or an
undeclared field is a mismatch):
- a 2xx: the route's ``response_model`` (or the model ``responses`` names for that status); a 2xx status the route
  does not document is a mismatch too;
- a 4xx/5xx: the model ``responses`` names for it, else the error envelope; so is any error of a path no route
  matched.
Mismatches are collected and fail the test that produced them (``check_mismatches``, called from conftest after
the test body), naming the route, the status and the validation errors.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from clinicops.http.responses import ErrorEnvelope

_MISMATCHES: list[str] = []
_ADAPTERS: dict[Any, TypeAdapter] = {}


def _adapter(model: Any) -> TypeAdapter:
    found = _ADAPTERS.get(model)
    if found is None:
        found = _ADAPTERS[model] = TypeAdapter(model)
    return found


def _route(scope: dict) -> Any:
    """The route that answered (for an included router, its context: full path, merged ``responses``)."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    if context is not None:
        return context
    route = scope.get("route")
    return route if isinstance(route, APIRoute) else None


def expected_model(route: Any, status: int) -> tuple[Any, str | None]:
    """(the model the body must fit, or None; a problem with the status itself, or None)."""
    responses = getattr(route, "responses", None) or {}
    declared = responses.get(status) or responses.get(str(status))
    if declared and declared.get("model") is not None:
        return declared["model"], None
    if status < 200 or 300 <= status < 400:
        return None, None
    if status < 300:
        if route is None:
            return None, None
        documented = route.status_code or 200
        if status != documented and not declared:
            return route.response_model, f"status {status} is not documented (the route documents {documented})"
        return route.response_model, None
    ranged = responses.get(f"{status // 100}XX")
    if ranged and ranged.get("model") is not None:
        return ranged["model"], None
    return ErrorEnvelope, None


def check_response(scope: dict, status: int, headers: dict[str, str], body: bytes) -> str | None:
    """A description of how the response breaks its route's contract, or None."""
    route = _route(scope)
    where = f"{scope['method']} {getattr(route, 'path_format', None) or scope['path']} -> {status}"
    is_json = headers.get("content-type", "").startswith("application/json")
    model, problem = expected_model(route, status)
    if problem:
        return f"{where}: {problem}"
    if model is None:
        # only a page, a file or plain text may go without a model (and the framework's own /openapi.json)
        return f"{where}: the route declares no response_model" if is_json and route is not None else None
    if not is_json:
        # a route may also answer a file it documents for this status (``responses={200: {"content": ...}}``)
        documented = ((getattr(route, "responses", None) or {}).get(status) or {}).get("content") or {}
        if headers.get("content-type", "").split(";")[0].strip() in documented:
            return None
        return f"{where}: declares {_name(model)} but answered {headers.get('content-type')!r}"
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    try:
        _adapter(model).validate_json(body, strict=True)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {_short(e.get('input'))})"
                           for e in exc.errors()[:6])
        more = f" (+{exc.error_count() - 6} more)" if exc.error_count() > 6 else ""
        return f"{where}: the body does not fit {_name(model)}: {errors}{more}"
    return None


def _name(model: Any) -> str:
    return getattr(model, "__name__", None) or repr(model)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ContractChecked:
    """ASGI wrapper: passes everything through and records each response that breaks its route's contract."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if not start:
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        problem = check_response(scope, start["status"], headers, b"".join(chunks))
        if problem:
            _MISMATCHES.append(problem)


def reset_mismatches() -> None:
    _MISMATCHES.clear()


def check_mismatches() -> None:
    """Fail (the running test) when any response since the last reset broke its contract."""
    if _MISMATCHES:
        found = list(dict.fromkeys(_MISMATCHES))
        _MISMATCHES.clear()
        raise AssertionError("responses that do not fit their declared model:\n  " + "\n  ".join(found))
