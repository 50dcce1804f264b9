"""A job worker killed with SIGKILL mid-delivery loses no message and sends none twice.

Forty confirmations wait in the outbox (committed for real). A real ``clinicops worker`` process sends them
through the Gallabox adapter to a fake Gallabox on 127.0.0.1 that answers in 150 ms and records every message
it receives. When the tenth arrives, the fake holds its answer and the test kills the worker's whole process
group with SIGKILL: that message is the one in flight, its outcome unknown to us. A second worker then
delivers the rest. Every one of the forty patients must have received their message exactly once, and only the
message in flight may be left uncertain (SENDING, or UNKNOWN once the 5-minute sweep has run) — never resent.

The first worker runs one job at a time (``--concurrency 1``), so exactly one message is in flight when it dies;
with N concurrent jobs up to N can be. Work reaches the workers through the outbox sweep, which each worker
defers on start and every 15 s, so the test needs no internals of the worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select, text

from clinicops import db as dbmod
from clinicops.messaging import service
from clinicops.messaging.models import OutboxMessage
from tests.builders.people import next_phone
from tests.conftest import ROOT

MESSAGES = 40
KILL_AT = 10  # the fake holds the answer to this message until the worker is dead
ANSWER_DELAY_S = 0.15
API_KEY, API_SECRET = "fault-test-key", "fault-test-secret"
PATH = "/devapi/messages/whatsapp"


class FakeGallabox(ThreadingHTTPServer):
    """Gallabox's send endpoint on loopback: records each message (its recipient phone) in arrival order."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GallaboxHandler)
        self.lock = threading.Lock()
        self.received: list[str] = []  # "91XXXXXXXXXX" per message, in arrival order
        self.held = threading.Event()  # the KILL_AT-th message has arrived and is waiting for its answer
        self.release = threading.Event()  # set once the worker is dead

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, phone: str) -> int:
        with self.lock:
            self.received.append(phone)
            return len(self.received)


class _GallaboxHandler(BaseHTTPRequestHandler):
    server: FakeGallabox

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path != PATH or self.headers.get("apiKey") != API_KEY or self.headers.get("apiSecret") != API_SECRET:
            self._answer(401, {"message": "unauthorized"})
            return
        number = self.server.record(body["recipient"]["phone"])
        if number == KILL_AT:
            self.server.held.set()
            self.server.release.wait(timeout=30)
        else:
            time.sleep(ANSWER_DELAY_S)
        self._answer(202, {"id": f"gbx-{number}", "status": "ACCEPTED"})

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the worker that asked is dead

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


def _worker_env(base_url: str) -> dict[str, str]:
    """The test's own database (CLINICOPS_DATA_DIR, CLINICOPS_EMBEDDED_DBNAME are inherited), Gallabox on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        CLINICOPS_ENV="test", CLINICOPS_INLINE_WORKER="false", CLINICOPS_WHATSAPP_PROVIDER="gallabox",
        CLINICOPS_GALLABOX_BASE_URL=base_url, CLINICOPS_GALLABOX_API_KEY=API_KEY,
        CLINICOPS_GALLABOX_API_SECRET=API_SECRET, CLINICOPS_GALLABOX_CHANNEL_ID="fault-test-channel",
        CLINICOPS_OUTBOUND_TIMEOUT_S="10", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def _start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    # A session of its own, so killing its process group also kills anything it may have started.
    return subprocess.Popen([sys.executable, "-m", "clinicops.cli", "worker", *args], env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


async def _outbox(factory) -> dict[int, tuple[str, str, int, str | None]]:
    """id -> (recipient, status, attempts, provider message id)."""
    async with factory() as session:
        rows = await session.execute(select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.status,
                                            OutboxMessage.attempts, OutboxMessage.provider_message_id))
        return {row[0]: tuple(row[1:]) for row in rows.all()}


async def _queue_confirmations(count: int) -> list[str]:
    phones = [next_phone() for _ in range(count)]
    async with dbmod.unit_of_work() as session:
        for n, phone in enumerate(phones, start=1):
            await service.queue_message(
                session, template="booking_confirmation", recipient=phone, recipient_name=f"Patient {n}",
                dedupe_key=f"fault-test:confirm:{n}", params={
                    "patient": f"Patient {n}", "mode": "in-person", "clinician": "Dr. Meera Rao",
                    "when": "23 Nov 2026, 10:00 am", "place": "at Indiranagar", "appointment_id": str(n)})
    return phones


async def _wait_for(condition, *, timeout: float, what: str, procs: list[tuple[subprocess.Popen, Path]]):
    deadline = time.monotonic() + timeout
    while True:
        result = await condition()
        if result:
            return result
        for proc, log in procs:
            assert proc.poll() is None, f"worker exited ({proc.returncode}) before {what}:\n{log.read_text()}"
        if time.monotonic() > deadline:
            logs = "\n".join(log.read_text()[-3000:] for _, log in procs)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        await asyncio.sleep(0.1)


async def _job_table_marks(factory) -> dict[str, int]:
    async with factory() as session:
        return {table: (await session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}"))).scalar_one()
                for table in ("procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_workers")}


async def _forget_jobs_since(factory, marks: dict[str, int]) -> None:
    """The dead worker's job stays 'doing' and its registration stays behind; drop what these workers wrote."""
    async with factory() as session:
        for table in ("procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers"):
            await session.execute(text(f"DELETE FROM {table} WHERE id > :mark"), {"mark": marks[table]})
        await session.commit()


async def test_a_killed_worker_loses_no_message_and_sends_none_twice(committed, tmp_path):
    factory, _client = committed
    marks = await _job_table_marks(factory)
    phones = await _queue_confirmations(MESSAGES)
    wire = {phone: phone.lstrip("+") for phone in phones}
    fake = FakeGallabox()
    threading.Thread(target=fake.serve_forever, name="fake-gallabox", daemon=True).start()
    env = _worker_env(fake.base_url)
    procs: list[tuple[subprocess.Popen, Path]] = []
    try:
        first_log = tmp_path / "worker-1.log"
        first = _start_worker(env, first_log, "--concurrency", "1")
        procs.append((first, first_log))

        async def tenth_in_flight() -> bool:
            return fake.held.is_set()

        await _wait_for(tenth_in_flight, timeout=30, what=f"message {KILL_AT} to reach the provider", procs=procs)
        _kill(first)
        procs.clear()
        fake.release.set()
        in_flight_phone = fake.received[KILL_AT - 1]
        stranded = {mid for mid, (_, status, _, _) in (await _outbox(factory)).items() if status == "SENDING"}

        second_log = tmp_path / "worker-2.log"
        second = _start_worker(env, second_log)
        procs.append((second, second_log))

        async def all_but_stranded_finished() -> dict | None:
            rows = await _outbox(factory)
            pending = {mid for mid, (_, status, _, _) in rows.items() if status in ("QUEUED", "SENDING")}
            return rows if pending <= stranded else None

        rows = await _wait_for(all_but_stranded_finished, timeout=40, what="the second worker to deliver the rest",
                               procs=procs)
    finally:
        for proc, _log in procs:
            _kill(proc)
        fake.release.set()
        fake.shutdown()
        fake.server_close()
        await _forget_jobs_since(factory, marks)

    received = Counter(fake.received)
    assert [phone for phone in phones if received[wire[phone]] == 0] == [], "messages never sent"
    assert {phone: n for phone, n in received.items() if n > 1} == {}, "messages sent twice"
    assert len(fake.received) == MESSAGES

    by_phone = {recipient: (mid, status, attempts, provider_id) for mid, (recipient, status, attempts, provider_id)
                in rows.items()}
    in_flight_id = next(mid for phone, (mid, *_rest) in by_phone.items() if wire[phone] == in_flight_phone)
    assert stranded == {in_flight_id}, "only the message in flight may be left claimed by the dead worker"
    uncertain = {mid: status for mid, (_, status, _, _) in rows.items() if status != "SENT"}
    assert uncertain in ({in_flight_id: "SENDING"}, {in_flight_id: "UNKNOWN"})
    # each SENT row records the one send the provider acknowledged for that patient
    arrival = {phone: n for n, phone in enumerate(fake.received, start=1)}
    for phone, (mid, status, attempts, provider_id) in by_phone.items():
        if mid != in_flight_id:
            assert (status, attempts, provider_id) == ("SENT", 1, f"gbx-{arrival[wire[phone]]}")
    async with factory() as session:  # nothing else was sent: no row beyond the forty
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == MESSAGES
