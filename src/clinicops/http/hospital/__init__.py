"""The hospital-chain surface (/api): one module per resource, mounted in this order."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

MODULES = (
    "health", "dev", "auth", "patient_auth", "centres", "users", "clinicians", "availability", "patients",
    "slots", "appointments", "booking", "patient_portal", "payments", "notifications", "video", "analytics",
    "whatsapp_webhooks",
)


def build_router(*, include_dev: bool) -> APIRouter:
    from clinicops.http.hospital.aliases import alias_router

    router = APIRouter(prefix="/api")
    mounted: list[APIRouter] = []
    for name in MODULES:
        if name == "dev" and not include_dev:
            continue
        try:
            module = importlib.import_module(f"clinicops.http.hospital.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"clinicops.http.hospital.{name}":
                continue
            raise
        router.include_router(module.router)
        mounted.append(module.router)
    router.include_router(alias_router(mounted))
    return router
