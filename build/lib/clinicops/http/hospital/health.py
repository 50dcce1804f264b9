from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from clinicops import __version__, db
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger

log = get_logger("clinicops.health")
router = APIRouter(tags=["health"])
STARTED = time.monotonic()


async def _database_connected() -> bool:
    try:
        async with asyncio.timeout(3):
            async with db.new_session() as session:
                await session.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any failure means "not connected"; the pool reconnects when it returns
        log.warning("health_database_unreachable", error=type(exc).__name__)
        return False


@router.get("/health")
async def health() -> JSONResponse:
    connected = await _database_connected()
    report = {
        "status": "healthy" if connected else "unhealthy",
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "database": "connected" if connected else "disconnected",
        "version": __version__,
        "uptime": int(time.monotonic() - STARTED),
    }
    if connected:
        return JSONResponse({"success": True, **report, "data": report})
    message = "The database is unavailable"
    return JSONResponse(
        {"success": False, "message": message, **report, "data": report,
         "error": {"code": "SERVICE_UNAVAILABLE", "message": message}},
        status_code=503, headers={"Retry-After": "5"})
