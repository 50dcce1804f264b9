"""Health for operators and load balancers.

- ``/api/health``: the whole system — the database answers and a job worker has a fresh heartbeat (messages,
  hold expiry, reminders and webhooks depend on it). 503 when either fails; for monitoring and alerts.
- ``/api/health/ready``: this process can serve requests (its database answers); for the load balancer.
- ``/api/health/live``: the process answers at all (no database); for the process supervisor.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import ProgrammingError

from clinicops import __version__, db, jobs
from clinicops.http.envelope import Json
from clinicops.http.hospital.schemas.operations import Health, Live, NotReady, Ready, Unhealthy
from clinicops.http.responses import ERROR_RESPONSES
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger

log = get_logger("clinicops.health")
router = APIRouter(tags=["health"], responses=ERROR_RESPONSES)
STARTED = time.monotonic()
_UNAVAILABLE = {"Retry-After": "5"}


async def _probe(*, jobs_too: bool = True) -> tuple[bool, float | None]:
    """(database connected, seconds since the freshest job-worker heartbeat or None): one statement — the
    heartbeat query itself shows the database answers (``jobs_too=False``: ``SELECT 1``, for readiness)."""
    try:
        async with asyncio.timeout(3):
            async with db.new_session(lazy_begin=True) as session:  # reads only: no BEGIN/ROLLBACK
                if not jobs_too:
                    await db.ping(session)
                    return True, None
                try:
                    return True, await jobs.heartbeat_age(session)
                except ProgrammingError as exc:  # the job schema is missing (an unmigrated database)
                    log.warning("health_jobs_unknown", error=type(exc).__name__)
            async with db.new_session(lazy_begin=True) as session:
                await db.ping(session)
                return True, None
    except Exception as exc:  # any failure means "not connected"; the pool reconnects when it returns
        log.warning("health_database_unreachable", error=type(exc).__name__)
        return False, None


_in_flight: dict[tuple[asyncio.AbstractEventLoop, bool], asyncio.Task[tuple[bool, float | None]]] = {}


async def _shared_probe(*, jobs_too: bool = True) -> tuple[bool, float | None]:
    """:func:`_probe`, shared by the checks that arrive while one is running: a monitor polling hard costs one
    round trip per probe, not one per request, and every answer is at most one probe old (no cached result)."""
    loop = asyncio.get_running_loop()
    key = (loop, jobs_too)
    task = _in_flight.get(key)
    if task is None:
        task = _in_flight[key] = loop.create_task(_probe(jobs_too=jobs_too))
        task.add_done_callback(lambda done: _in_flight.pop(key) if _in_flight.get(key) is done else None)
    return await asyncio.shield(task)


def _jobs_state(connected: bool, age: float | None) -> str:
    if not connected:
        return "unknown"
    if age is None:
        return "stopped"
    return "running" if age <= jobs.HEARTBEAT_STALE_AFTER_S else "stale"


def _report(status_ok: bool, report: dict, message: str) -> JSONResponse:
    if status_ok:
        return Json({"success": True, **report, "data": report})
    return Json(
        {"success": False, "message": message, **report, "data": report,
         "error": {"code": "SERVICE_UNAVAILABLE", "message": message}},
        status_code=503, headers=_UNAVAILABLE)


@router.get("/health", response_model=Health, responses={503: {"model": Unhealthy, "description": "Unhealthy"}})
async def health() -> JSONResponse:
    connected, age = await _shared_probe()
    jobs_state = _jobs_state(connected, age)
    healthy = connected and jobs_state == "running"
    report = {
        "status": "healthy" if healthy else "unhealthy",
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "database": "connected" if connected else "disconnected",
        "jobs": jobs_state,
        "jobsHeartbeatAgeSeconds": None if age is None else round(age, 1),
        "version": __version__,
        "uptime": int(time.monotonic() - STARTED),
    }
    if not connected:
        message = "The database is unavailable"
    else:
        message = "No job worker has reported in the last %d seconds" % jobs.HEARTBEAT_STALE_AFTER_S
    return _report(healthy, report, message)


@router.get("/health/ready", response_model=Ready, responses={503: {"model": NotReady, "description": "Not ready"}})
async def ready() -> JSONResponse:
    connected, _age = await _shared_probe(jobs_too=False)
    report = {"status": "ready" if connected else "unavailable",
              "database": "connected" if connected else "disconnected"}
    return _report(connected, report, "The database is unavailable")


@router.get("/health/live", response_model=Live)
async def live() -> JSONResponse:
    return Json({"success": True, "status": "alive", "data": {"status": "alive"}})
