"""The clinic SaaS surface (/api/v1): routers are added here as the clinic issues land."""

from __future__ import annotations

from fastapi import APIRouter


def build_router() -> APIRouter:
    return APIRouter(prefix="/api/v1")
