"""PostgreSQL restarts under a running API and a separate job worker (as deployed: INLINE_WORKER=false).

While it is down every answer is a 503 with Retry-After (never a 500 or a hang); afterwards the API serves,
the worker process is still running, and the next patient OTP is delivered. Before it stops, an API process
that runs no worker has deferred its after-commit job at once (not left it for the sweep).
"""

from __future__ import annotations

import os
import time

import httpx
import pgserver
import pytest
from pgserver._commands import pg_ctl
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import migrate
from tests.processes import free_port, start, stop, wait_for, wait_ready

PHONES = ("919845011001", "919845011002")


@pytest.fixture
def restartable_server(tmp_path_factory):
    """A PostgreSQL of its own (not the suite's), migrated, with the hospital's public organization."""
    server = pgserver.get_server(tmp_path_factory.mktemp("restart") / "pg", cleanup_mode="delete")
    url = server.get_uri()
    sync_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    migrate(sync_url)
    engine = create_engine(sync_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organizations (slug, name) VALUES ('main', 'Restart Test Chain')"))
    yield server, url, engine
    engine.dispose()
    server.cleanup()


def _outbox(engine, phone: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM outbox_messages WHERE right(recipient, 10) = right(:p, 10) "
                                 "ORDER BY id DESC LIMIT 1"), {"p": phone}).scalar()


def _send_otp(port: int, phone: str) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{port}/api/patient-auth/send-otp", json={"phone": phone}, timeout=10)


def test_api_and_worker_ride_through_a_database_restart(restartable_server, tmp_path):
    server, url, engine = restartable_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICOPS_")}
    env.update(CLINICOPS_ENV="test", CLINICOPS_DATABASE_URL=url, CLINICOPS_INLINE_WORKER="false",
               CLINICOPS_DATA_DIR=str(tmp_path / "data"))
    port = free_port()
    api_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    api = start(["serve", "--port", str(port), "--workers", "2"], env, api_log)
    worker = None
    try:
        wait_ready(port, api, api_log)

        # After-commit work starts at once from a process that runs no worker.
        assert _send_otp(port, PHONES[0]).status_code == 200
        with engine.connect() as conn:
            deferred = conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' "
                                         "AND task_name = 'clinicops:messaging.deliver_outbox'")).scalar_one()
        assert deferred == 1, api_log.read_text()
        assert _outbox(engine, PHONES[0]) == "QUEUED"

        worker = start(["worker"], env, worker_log)
        wait_for(lambda: _outbox(engine, PHONES[0]) == "SENT", 20, f"the first OTP to be sent\n{worker_log.read_text()}")
        health = wait_for(lambda: (r := httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)).status_code
                          == 200 and r, 20, "health with a running worker")
        assert health.json()["jobs"] == "running"

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=20)
        down_until = time.monotonic() + 4
        answers = []
        while time.monotonic() < down_until:
            for call in (lambda: httpx.get(f"http://127.0.0.1:{port}/api/health/ready", timeout=5),
                         lambda: httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5),
                         lambda: _send_otp(port, PHONES[1])):
                started = time.monotonic()
                response = call()
                assert time.monotonic() - started < 5
                answers.append(response.status_code)
                assert response.status_code == 503, response.text
                assert response.headers.get("retry-after"), response.headers
                assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            time.sleep(0.2)
        assert len(answers) >= 6
        server.ensure_postgres_running()
        back_at = time.monotonic()

        wait_for(lambda: _send_otp(port, PHONES[1]).status_code == 200, 30, "the API to serve again")
        served_after = time.monotonic() - back_at
        assert worker.poll() is None, f"the worker exited:\n{worker_log.read_text()}"
        wait_for(lambda: _outbox(engine, PHONES[1]) == "SENT", 30, "the OTP after the restart to be sent")
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200, 30,
                 "health to be green again")
        assert worker.poll() is None
        assert served_after < 30
        assert "job_worker_stopped" in worker_log.read_text()  # it did fail, and carried on
    finally:
        api_status = stop(api)
        worker_status = stop(worker) if worker is not None else 0
    assert api_status == 0, api_log.read_text()
    assert worker_status == 0, worker_log.read_text()
    assert "Traceback" not in api_log.read_text()
