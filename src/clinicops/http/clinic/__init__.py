"""The clinic SaaS surface (/api/v1): one module per area, each with its own ``router``.

Every module's routes are tagged ``clinic: <area>`` (OpenAPI shows this surface apart from the hospital one), take
their callers from ``http/clinic/deps.py``, their ids from ``http/clinic/ids.py`` and their bodies from
``http/clinic/schemas``. Errors are worded by ``http/clinic/errors.py``.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from clinicops.http import read_only

PREFIX = "/api/v1"
# Matched in this order; within a module a literal path (/patients/search) comes before /patients/{patientId}.
MODULES = ("auth", "clinics", "billing", "doctors", "patients", "associations", "visits", "data_rights")
OPEN_WHILE_READ_ONLY = frozenset({"auth", "billing", "data_rights"})  # http/read_only.py says why


def build_router() -> APIRouter:
    root = APIRouter(prefix=PREFIX)
    for name in MODULES:
        guard = [] if name in OPEN_WHILE_READ_ONLY else read_only.WRITABLE  # a read-only clinic: 402 on changes
        root.include_router(importlib.import_module(f"clinicops.http.clinic.{name}").router, dependencies=guard)
    return root
