"""Older paths the chain's first backend served (hospital-implementation-progress.md), kept as aliases.

The reference says: where documents disagree on a path, serve both — the documented path is canonical. An alias
reuses the canonical endpoint (same dependencies, same unit of work) and stays out of the OpenAPI schema.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from clinicops.http.routing import new_router

# (method, canonical path) -> alias path, both without the /api prefix.
ALIASES: dict[tuple[str, str], str] = {
    ("POST", "/payments/create-order"): "/payment/create-order",
    ("POST", "/payments/verify"): "/payment/verify",
    ("POST", "/payments/webhook"): "/payment/webhook",
    ("POST", "/booking/create"): "/booking/initiate",
    ("GET", "/patient/profile"): "/patient-dashboard/profile",
    ("PUT", "/patient/profile"): "/patient-dashboard/profile",
    ("GET", "/patient/appointments"): "/patient-dashboard/appointments",
    ("GET", "/patient/appointments/{appointment_id:int}"): "/patient-dashboard/appointments/{appointment_id:int}",
    ("POST", "/patient/appointments/{appointment_id:int}/cancel"):
        "/patient-dashboard/appointments/{appointment_id:int}/cancel",
}


def alias_router(routers: list[APIRouter]) -> APIRouter:
    aliases = new_router()
    found: set[tuple[str, str]] = set()
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for method in sorted(route.methods or ()):
                alias = ALIASES.get((method, route.path))
                if alias is None:
                    continue
                found.add((method, route.path))
                aliases.add_api_route(alias, route.endpoint, methods=[method], status_code=route.status_code,
                                      dependencies=route.dependencies, response_class=route.response_class,
                                      response_model=route.response_model, responses=route.responses,
                                      include_in_schema=False, name=f"alias:{route.name}")
    missing = set(ALIASES) - found
    if missing:
        raise RuntimeError(f"aliases point at routes that do not exist: {sorted(missing)}")
    return aliases
