"""Health: 503 with the envelope while the database is down, 200 again when it returns, without a restart."""

from __future__ import annotations

import time

import httpx
import pgserver
import pytest
from pgserver._commands import pg_ctl

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


async def test_health_is_503_while_the_database_is_down_and_recovers(second_server, monkeypatch, database_url):
    monkeypatch.setenv("CLINICOPS_DATABASE_URL", second_server.get_uri())
    reset_settings()
    await dbmod.dispose()  # the real engine (pool_pre_ping and all) is built from these settings
    app = create_app(run_worker=False)
    transport = httpx.ASGITransport(app=app)
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            up = await http.get("/api/health")
            assert up.status_code == 200 and up.json()["database"] == "connected"

            _stop(second_server)
            down = await http.get("/api/health")
            assert down.status_code == 503
            body = down.json()
            assert body["success"] is False and body["error"]["code"] == "SERVICE_UNAVAILABLE"
            assert body["database"] == "disconnected" and body["status"] == "unhealthy"
            assert down.headers["retry-after"]

            second_server.ensure_postgres_running()
            back = await http.get("/api/health")
            assert back.status_code == 200 and back.json()["database"] == "connected"
    finally:
        await dbmod.dispose()
        monkeypatch.undo()
        reset_settings()
    assert time.monotonic() - started < 10
