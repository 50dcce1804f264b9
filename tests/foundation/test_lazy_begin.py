"""A GET begins its transaction at its first write: a pure read sends no BEGIN/COMMIT, a read that writes (an audit
row) still commits at the boundary, and a GET that fails after writing leaves nothing behind.

These run with real commits (the ``committed`` fixture): inside a test's rolled-back transaction there is no lazy
begin to see.
"""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import Depends
from sqlalchemy import func, select

from clinicops import db as dbmod
from clinicops.audit import service as audit
from clinicops.audit.models import AuditEvent
from clinicops.auth.models import User
from clinicops.config import Settings
from clinicops.errors import NotFound
from clinicops.http.deps import get_db
from clinicops.http.routing import new_router
from clinicops.main import create_app
from clinicops.organizations.models import Organization
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff


def _probe_app():
    app = create_app(Settings(env="test"), run_worker=False)
    probe = new_router(prefix="/api/_probe")

    @probe.get("/read")
    async def read(session=Depends(get_db)):
        return {"success": True, "data": (await session.execute(select(func.count(Organization.id)))).scalar_one()}

    @probe.get("/audited")
    async def audited(session=Depends(get_db)):
        await session.execute(select(func.count(Organization.id)))
        await audit.record(session, None, action="probe.read", resource_type="probe")
        return {"success": True}

    @probe.get("/audited-then-fails")
    async def audited_then_fails(session=Depends(get_db)):
        await audit.record(session, None, action="probe.failed", resource_type="probe")
        await session.flush()  # the row is written, inside the transaction the failure rolls back
        raise NotFound("nothing here")

    app.include_router(probe)
    return app


@pytest.fixture
def begins(monkeypatch) -> list[str]:
    """Every BEGIN the driver sends (asyncpg starts a transaction with Transaction.start)."""
    started: list[str] = []
    real = asyncpg.transaction.Transaction.start

    async def start(self):
        started.append("BEGIN")
        return await real(self)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", start)
    return started


async def _events(factory, action: str) -> int:
    async with factory() as session:
        return (await session.execute(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.action == action))).scalar_one()


async def test_a_pure_read_sends_no_begin(committed, begins):
    _factory, _ = committed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_probe_app()), base_url="http://t") as http:
        await http.get("/api/_probe/read")  # a new pooled connection runs its setup queries in a transaction
        begins.clear()
        response = await http.get("/api/_probe/read")
    assert response.status_code == 200, response.text
    assert begins == []


async def test_a_read_that_writes_commits_its_row(committed, begins):
    factory, _ = committed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_probe_app()), base_url="http://t") as http:
        await http.get("/api/_probe/read")
        begins.clear()
        response = await http.get("/api/_probe/audited")
    assert response.status_code == 200, response.text
    assert begins == ["BEGIN"]
    assert await _events(factory, "probe.read") == 1


async def test_a_read_that_fails_after_writing_writes_nothing(committed):
    factory, _ = committed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_probe_app()), base_url="http://t") as http:
        response = await http.get("/api/_probe/audited-then-fails")
    assert response.status_code == 404
    assert await _events(factory, "probe.failed") == 0


async def test_an_audited_patient_read_still_writes_its_audit_row(committed):
    factory, http = committed
    async with factory() as session:
        org = await make_org(session)
        centre = await make_centre(session, org=org)
        desk = await make_staff(session, org=org, role="FRONT_DESK", centres=[centre])
        patient = await make_patient(session, org=org)
        await session.commit()
        desk = await session.get(User, desk.id)
    response = await http.get(f"/api/patients/{patient.id}", headers=bearer(desk))
    assert response.status_code == 200, response.text
    assert await _events(factory, "patient.read") == 1


@pytest.mark.parametrize("statement", [
    "SELECT pg_advisory_xact_lock(1)", "SELECT * FROM appointments WHERE id = $1 FOR UPDATE",
    "SELECT id FROM payments FOR NO KEY UPDATE SKIP LOCKED", "SELECT id FROM t FOR SHARE",
    "WITH moved AS (UPDATE t SET a = 1 RETURNING id) SELECT id FROM moved", "INSERT INTO t VALUES (1)",
    "SAVEPOINT sa_1", "SELECT set_config('x.y', '1', true)", "SELECT pg_notify('changes', 'x')",
])
def test_statements_that_lock_write_or_set_begin_the_transaction(statement):
    assert not dbmod._is_plain_read(statement)


@pytest.mark.parametrize("statement", ["SELECT 1", "  select id, updated_at FROM users WHERE id = $1",
                                       "WITH x AS (SELECT 1) SELECT * FROM x"])
def test_plain_reads_do_not(statement):
    assert dbmod._is_plain_read(statement)
