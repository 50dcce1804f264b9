"""The hospital-chain surface (/api): one module per resource, mounted in this order."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

# Routes are matched in this order, so the public reads the booking website hammers come first. Every id path
# uses an int convertor, so no literal path (/users/clinicians, /booking/available-slots) can be shadowed.
MODULES = (
    "slots", "clinicians", "health", "dev", "auth", "patient_auth", "centres", "users", "availability",
    "patients", "appointments", "appointment_sessions", "booking", "patient_portal", "payments", "notifications",
    "video", "analytics", "whatsapp_webhooks", "uploads",
)


# Modules a read-only clinic's staff may still change things through (http/read_only.py).
OPEN_WHILE_READ_ONLY = frozenset({"auth", "patient_auth"})


def routers(*, include_dev: bool) -> list[tuple[APIRouter, list]]:
    """The surface's routers in matching order with the dependencies to mount each with, under :data:`PREFIX`.

    They are mounted one by one (not nested under a parent router): every nesting level costs route matching
    on every request.
    """
    from clinicops.http import read_only
    from clinicops.http.hospital.aliases import alias_router

    mounted: list[APIRouter] = []
    guards: list[list] = []
    for name in MODULES:
        if name == "dev" and not include_dev:
            continue
        try:
            module = importlib.import_module(f"clinicops.http.hospital.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"clinicops.http.hospital.{name}":
                continue
            raise
        mounted.append(module.router)
        guards.append([] if name in OPEN_WHILE_READ_ONLY else read_only.WRITABLE)
    return [*zip(mounted, guards), (alias_router(mounted), read_only.WRITABLE)]


PREFIX = "/api"
