"""SIGTERM under load: ``serve --workers 2`` stops accepting first, answers every request it accepted, exits 0.

Clients open a new connection per request, as a load balancer's health checks and many proxies do. Before the
fix the listening socket stayed open while the processes drained, so new connections were queued, never
accepted, and reset (97 of 99); requests already queued when the socket closed were reset unanswered.
"""

from __future__ import annotations

import os
import socket
import threading
import time

from tests.processes import free_port, start, wait_ready

CLIENTS = 24


def _request(port: int) -> tuple[float, str]:
    """(when the connection was attempted, outcome): ok | refused | reset."""
    attempted = time.monotonic()
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=15)
    except ConnectionRefusedError:
        return attempted, "refused"
    with conn:
        try:
            conn.sendall(b"GET /api/_probe/slow?ms=150 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            response = b""
            while chunk := conn.recv(65536):
                response += chunk
        except (ConnectionResetError, BrokenPipeError):
            return attempted, "reset"
    if response.startswith(b"HTTP/1.1 200") and b'"slept_ms":150' in response:
        return attempted, "ok"
    return attempted, "reset" if not response else f"unexpected {response[:60]!r}"


def test_sigterm_under_load_refuses_new_connections_and_answers_every_accepted_request(database_url, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start(["serve", "--port", str(port), "--workers", "2", "--graceful-timeout", "10",
                  "--app", "tests.foundation.shutdown_app:create_app"], dict(os.environ), log)
    results: list[tuple[float, str]] = []
    lock = threading.Lock()
    finished = threading.Event()

    def client() -> None:
        while not finished.is_set():
            outcome = _request(port)
            with lock:
                results.append(outcome)
            if outcome[1] == "refused":
                time.sleep(0.01)

    try:
        wait_ready(port, proc, log)
        threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        sigterm_at = time.monotonic()
        proc.terminate()
        exit_status = proc.wait(timeout=30)
        stopped_at = time.monotonic()
        time.sleep(0.3)
        finished.set()
        for thread in threads:
            thread.join(timeout=20)
    finally:
        finished.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    output = log.read_text()
    assert exit_status == 0, output
    before = [outcome for at, outcome in results if at < sigterm_at]
    after = [(at - sigterm_at, outcome) for at, outcome in results if at >= sigterm_at]
    assert before.count("ok") > 50, (len(before), output[-2000:])
    failures = [(round(at, 3), outcome) for at, outcome in after if outcome not in ("ok", "refused")]
    assert failures == [], f"{len(failures)} connections reset or cut short after SIGTERM: {failures[:10]}"
    assert all(outcome == "ok" for outcome in before), sorted(set(before))
    # Stop accepting first: shortly after the signal, new connections are refused rather than queued.
    late_answers = [at for at, outcome in after if outcome == "ok" and at > 1.0]
    assert late_answers == [], f"connections attempted {late_answers[:5]} s after SIGTERM were still served"
    assert any(outcome == "refused" for _, outcome in after)
    assert stopped_at - sigterm_at < 15
