"""The commands as an operator runs them: serve drains in-flight requests on SIGTERM; dev starts everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.processes import free_port, start, stop, wait_ready


def test_serve_finishes_an_in_flight_request_after_sigterm_and_exits_0(database_url, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    marker = tmp_path / "in-flight"
    proc = start(["serve", "--port", str(port), "--graceful-timeout", "10",
                   "--app", "tests.foundation.shutdown_app:create_app"],
                  {**os.environ, "SHUTDOWN_PROBE_MARKER": str(marker)}, log)
    try:
        wait_ready(port, proc, log)
        body = b"x" * 2000
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"POST /api/_probe/echo-length HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/octet-stream\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:1000])
            deadline = time.monotonic() + 15
            while not marker.exists():  # wait until the app is reading the body
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert proc.poll() is None, "the server quit with a request in flight"
            conn.sendall(body[1000:])
            response = b""
            while chunk := conn.recv(65536):
                response += chunk
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), response[:300]
        assert json.loads(payload)["data"]["received"] == len(body)
        assert proc.wait(timeout=20) == 0, log.read_text()
    finally:
        stop(proc)


@pytest.fixture
def scratch_database_url(scratch_database):
    """The scratch database, given to the command as CLINICOPS_DATABASE_URL."""
    return scratch_database.set(drivername="postgresql").render_as_string(hide_password=False)


def test_dev_migrates_seeds_and_serves_api_and_worker(scratch_database_url, tmp_path):
    port = free_port()
    log = tmp_path / "dev.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICOPS_")}
    env.update(CLINICOPS_DATABASE_URL=scratch_database_url, CLINICOPS_DATA_DIR=str(tmp_path / "data"))
    proc = start(["dev", "--port", str(port)], env, log)
    try:
        health = wait_ready(port, proc, log)
        assert health["database"] == "connected"
        output = log.read_text()
        assert f"http://127.0.0.1:{port}" in output
        assert "Demo data loaded" in output and "admin" in output and "Demo@1234" in output
        assert "inline_worker_started" in output
        messages = httpx.get(f"http://127.0.0.1:{port}/api/dev/messages", timeout=5)
        assert messages.status_code == 200  # development mounts the dev views
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()
    engine = create_engine(scratch_database_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           poolclass=NullPool)
    try:
        with engine.connect() as conn:
            slugs = set(conn.execute(text("SELECT slug FROM organizations")).scalars())
    finally:
        engine.dispose()
    assert {"main", "sunrise-clinic"} <= slugs
