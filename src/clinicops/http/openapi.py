"""The OpenAPI schema and the /docs page (both outside production only).

Some routes read the query string by hand (the hospital surface takes every input in both casings and in the older
spellings its clients send, and keeps its own 422 messages), so FastAPI cannot see those parameters. Such a route,
or one of its dependencies, carries a declaration instead: :func:`declares_query` with :func:`query_param` groups,
or :func:`declares_query_model` with the pydantic model it parses. :func:`install` merges the declarations into
the schema when it is first built; the request path does no extra work.

/docs is Swagger UI served from the ``fastapi-offline`` package's files under /docs/assets: the page loads nothing
from outside the app, and its Content-Security-Policy says so.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import AliasChoices, BaseModel
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
_DECLARED = "__openapi_query__"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

F = TypeVar("F", bound=Callable[..., Any])


# --- declaring parameters that are read by hand ----------------------------------------------------------------------

def query_param(name: str, schema: dict[str, Any], *, also: Sequence[str] = (), required: bool = False,
                description: str | None = None) -> list[dict[str, Any]]:
    """One query parameter as OpenAPI parameter objects: ``name`` and each other spelling in ``also``.

    OpenAPI cannot say "one of these names is required", so only ``name`` is marked required.
    """
    text = description or ""
    if also:
        text = f"{text} Also accepted as {', '.join(f'`{a}`' for a in also)}.".strip()
    primary = {"name": name, "in": "query", "required": required, "schema": schema}
    if text:
        primary["description"] = text
    return [primary, *({"name": other, "in": "query", "required": False, "schema": schema,
                        "description": f"Same as `{name}`."} for other in also)]


def declares_query(*groups: list[dict[str, Any]]) -> Callable[[F], F]:
    """Mark a route handler or dependency as reading these query parameters (groups from :func:`query_param`)."""

    def mark(call: F) -> F:
        setattr(call, _DECLARED, [param for group in groups for param in group])
        return call

    return mark


def declares_query_model(model: type[BaseModel]) -> Callable[[F], F]:
    """Mark a route handler or dependency as parsing the query string with ``model`` (every accepted name)."""

    def mark(call: F) -> F:
        setattr(call, _DECLARED, model)
        return call

    return mark


def model_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The query parameters ``model.model_validate(dict(query_params))`` accepts, with types and enums."""
    schema = model.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    by_name = model.model_config.get("validate_by_name") or model.model_config.get("populate_by_name")
    params: list[dict[str, Any]] = []
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            names = [alias]
        else:
            names = [field.alias or name]
        if by_name:
            names.append(name)
        names = list(dict.fromkeys(names))
        prop = schema["properties"][names[0]]  # the JSON schema names a property by its first accepted name
        params += query_param(names[0], _plain(prop, defs), also=names[1:], required=names[0] in required,
                              description=prop.get("description"))
    return params


def _plain(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A property schema as a parameter schema: references inlined, no title, no ``null`` alternative."""
    if "$ref" in prop:
        prop = {**defs[prop["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
    options = [o for o in prop.get("anyOf", ()) if o.get("type") != "null"]
    if "anyOf" in prop:
        rest = {k: v for k, v in prop.items() if k != "anyOf"}
        prop = {**_plain(options[0], defs), **rest} if len(options) == 1 else {**rest, "anyOf": options}
    if prop.get("default", 0) is None:
        del prop["default"]
    return prop


def _declared(dependant: Dependant, found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    declared = getattr(dependant.call, _DECLARED, None)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        declared = model_parameters(declared)
    for param in declared or ():
        found.setdefault(param["name"], param)
    for sub in dependant.dependencies:
        _declared(sub, found)
    return found


def schema_routes(app: FastAPI) -> list[Any]:
    """The app's API routes as the schema sees them (included routers resolved: full path, effective flags)."""
    return [route for route in iter_route_contexts(app.routes)
            if isinstance(route.original_route, APIRoute) and route.include_in_schema]


def add_declared_parameters(schema: dict[str, Any], routes: Sequence[Any]) -> None:
    for route in routes:
        declared = _declared(route.dependant, {})
        if not declared:
            continue
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            params = operation.setdefault("parameters", [])
            present = {(p.get("in"), p.get("name")) for p in params}
            params += [copy.deepcopy(p) for name, p in declared.items() if ("query", name) not in present]


# --- the app -------------------------------------------------------------------------------------------------------

class _Assets(StaticFiles):
    """Swagger UI's files: revalidated by ETag instead of the app-wide ``no-store`` (they hold no data)."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.setdefault("cache-control", "no-cache")
        return response


def _content_security_policy(page: str) -> str:
    """Only this app's own files, plus the page's one inline script (by hash), may run or be fetched."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in _INLINE_SCRIPT.findall(page))
    return ("default-src 'none'; "
            f"script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _docs_page(app: FastAPI) -> Callable[[Request], Any]:
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # validatorUrl: no online validator (its badge would send the schema to validator.swagger.io)
            swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
        )
        html = bytes(page.body).decode()
        return HTMLResponse(html, headers={"content-security-policy": _content_security_policy(html)})

    return swagger_ui


def install(app: FastAPI, *, docs: bool) -> None:
    """Complete the app's schema with the declared parameters; with ``docs``, serve /docs and its assets.

    The app must be built with ``docs_url=None, redoc_url=None`` (this module serves the page).
    """

    def openapi() -> dict[str, Any]:
        before = app.openapi_schema
        schema = FastAPI.openapi(app)  # cached until the routes change
        if schema is not before:
            add_declared_parameters(schema, schema_routes(app))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    if not docs or not app.openapi_url:
        return
    static = resources.files("fastapi_offline") / "static"
    app.mount(ASSETS_URL, _Assets(directory=str(static)), name="docs-assets")
    app.add_api_route(DOCS_URL, _docs_page(app), methods=["GET"], response_class=HTMLResponse, include_in_schema=False)
