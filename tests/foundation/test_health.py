"""Health: 503 with the envelope while the database is down or no job worker reports, 200 again when they return."""

from __future__ import annotations

import time

import httpx
import pgserver
import pytest
from pgserver._commands import pg_ctl
from sqlalchemy import create_engine, text

from clinicops import db as dbmod
from clinicops.config import reset_settings
from clinicops.main import create_app


@pytest.fixture
def second_server(tmp_path_factory):
    """A PostgreSQL of its own (not the test server), so it can be stopped and started."""
    pgdata = tmp_path_factory.mktemp("health") / "pg"
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    yield server
    server.cleanup()


def _stop(server) -> None:
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=20)


async def test_readiness_is_503_while_the_database_is_down_and_recovers(second_server, monkeypatch, database_url):
    monkeypatch.setenv("CLINICOPS_DATABASE_URL", second_server.get_uri())
    reset_settings()
    await dbmod.dispose()  # the real engine (pool_pre_ping and all) is built from these settings
    app = create_app(run_worker=False)
    transport = httpx.ASGITransport(app=app)
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            up = await http.get("/api/health/ready")
            assert up.status_code == 200 and up.json()["database"] == "connected"

            _stop(second_server)
            down = await http.get("/api/health/ready")
            assert down.status_code == 503
            body = down.json()
            assert body["success"] is False and body["error"]["code"] == "SERVICE_UNAVAILABLE"
            assert body["database"] == "disconnected"
            assert down.headers["retry-after"]
            whole = await http.get("/api/health")
            assert whole.status_code == 503
            assert whole.json()["database"] == "disconnected" and whole.json()["status"] == "unhealthy"
            assert (await http.get("/api/health/live")).status_code == 200  # the process itself is fine

            second_server.ensure_postgres_running()
            back = await http.get("/api/health/ready")
            assert back.status_code == 200 and back.json()["database"] == "connected"
    finally:
        await dbmod.dispose()
        monkeypatch.undo()
        reset_settings()
    assert time.monotonic() - started < 10


async def test_a_data_request_during_an_outage_is_a_503_envelope_and_recovers(second_server, monkeypatch):
    """Without pool pre-ping, a pooled connection to a restarted database fails once: that must be a 503, not a 500."""
    from clinicops.config import get_settings
    from tests.conftest import migrate

    monkeypatch.setenv("CLINICOPS_DATABASE_URL", second_server.get_uri())
    reset_settings()
    assert get_settings().db_pool_pre_ping is False
    sync_url = dbmod.database_url(get_settings(), driver="psycopg")
    migrate(sync_url)
    engine = create_engine(sync_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organizations (slug, name) VALUES (:slug, 'Outage Test')"),
                     {"slug": get_settings().default_organization})
    engine.dispose()
    await dbmod.dispose()
    app = create_app(run_worker=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            assert (await http.get("/api/centres")).status_code == 200  # a pooled connection now exists
            _stop(second_server)
            second_server.ensure_postgres_running()
            first = await http.get("/api/centres")
            assert first.status_code in (200, 503), first.text
            if first.status_code == 503:
                assert first.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            again = await http.get("/api/centres")
            assert again.status_code == 200
    finally:
        await dbmod.dispose()
        monkeypatch.undo()
        reset_settings()


async def _heartbeat(db, seconds_ago: float | None) -> None:
    await db.execute(text("DELETE FROM procrastinate_workers"))
    if seconds_ago is not None:
        await db.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                              "VALUES (now() - make_interval(secs => :ago))"), {"ago": seconds_ago})
    await db.flush()


async def test_health_reports_the_job_workers_heartbeat_and_is_503_when_it_is_stale(client, db):
    """Messages, hold expiry and webhooks stop when no worker runs: the health check must say so."""
    await _heartbeat(db, 3)
    fresh = await client.get("/api/health")
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["jobs"] == "running" and fresh.json()["status"] == "healthy"
    assert 0 <= fresh.json()["jobsHeartbeatAgeSeconds"] < 30

    await _heartbeat(db, 600)
    stale = await client.get("/api/health")
    assert stale.status_code == 503 and stale.headers["retry-after"]
    assert stale.json()["jobs"] == "stale" and stale.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "job worker" in stale.json()["message"]
    assert (await client.get("/api/health/ready")).status_code == 200  # the API itself can still serve

    await _heartbeat(db, None)
    none = await client.get("/api/health")
    assert none.status_code == 503 and none.json()["jobs"] == "stopped"


async def test_checks_arriving_together_share_one_probe_and_later_ones_probe_again(committed, engine):
    """A monitor polling hard costs one round trip per probe, not per request; no answer is remembered."""
    import asyncio

    from sqlalchemy import event

    _factory, http = committed
    probes: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "procrastinate_workers" in statement:
            probes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        answers = await asyncio.gather(*(http.get("/api/health") for _ in range(20)))
        assert len({a.status_code for a in answers}) == 1
        assert {a.json()["database"] for a in answers} == {"connected"}
        assert 1 <= len(probes) < 20
        together = len(probes)
        await http.get("/api/health")
        await http.get("/api/health")
        assert len(probes) == together + 2
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
