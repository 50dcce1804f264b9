"""Deployment smoke test: ClinicOps as an operator deploys it, not as the test suite imports it.

The wheel is built and installed into a fresh virtual environment (``conftest.installed``); from then on only
that environment's ``clinicops`` executable runs, from an empty directory, against a PostgreSQL reached over TCP
on 127.0.0.1 with a password (``conftest.postgres``), with staging settings written the way docs/operations.md
shows them. It mirrors what the Docker image runs: ``clinicops migrate``, ``clinicops create-admin``,
``clinicops serve --workers 2`` and a separate ``clinicops worker``.

The main test then does what a clinic does on its first morning — an admin signs in, sets up a centre, a
clinician with hours and a patient, books an appointment and takes cash at the desk — and checks that the
separate worker delivers the WhatsApp confirmation. Then PostgreSQL is stopped for a few seconds: every answer
meanwhile must be a quick 503 with ``Retry-After`` (never a 500, a reset connection or a hang), and after it
returns the API answers 200 again within 30 s and the *same* worker process delivers the next message. Finally
both processes must exit 0 on SIGTERM.

Checks that do not stop the flow are collected (``Findings``) and reported together at the end, so one run shows
everything that is wrong, not only the first thing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import threading
import time
import zipfile
from datetime import date, datetime, timedelta
from typing import Self
from zoneinfo import ZoneInfo

import httpx

from tests.deploy.install import BUILD_INPUTS, ROOT, Installation
from tests.deploy.postgres import AppDatabase, TcpPostgres, free_port
from tests.deploy.processes import Service, clean_environment, run_command, wait_until

CENTRE_ZONE = ZoneInfo("Asia/Kolkata")
REQUEST_TIMEOUT_S = 5.0          # "never a hang beyond a few seconds"
FIRST_DELIVERY_S = 10.0          # a worker picks a new job up within milliseconds (LISTEN/NOTIFY)
OUTAGE_S = 5.0                   # how long PostgreSQL stays down
RECOVERY_S = 30.0                # 200s again, and the worker delivers again, within this after the restart
ADMIN = {"username": "ops.admin", "password": "Staging-Admin-2026!", "phone": "9900012345"}


def staging_settings(database: AppDatabase, port: int) -> dict[str, str]:
    """The staging settings of docs/operations.md ("Settings"), as an operator writes them in an env file:
    comma lists, two different JWT secrets of 64 characters, no inline worker. Staging may keep the offline
    providers (only production refuses them), so WhatsApp goes to the console provider (the outbox row)."""
    return {
        "CLINICOPS_ENV": "staging",
        "CLINICOPS_DATABASE_URL": database.url,
        "CLINICOPS_JWT_ACCESS_SECRET": secrets.token_hex(32),
        "CLINICOPS_JWT_REFRESH_SECRET": secrets.token_hex(32),
        "CLINICOPS_CORS_ORIGINS": "https://a.example,https://b.example",
        "CLINICOPS_TRUSTED_PROXIES": "10.0.0.10,10.0.0.11",
        "CLINICOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CLINICOPS_INLINE_WORKER": "false",
        "CLINICOPS_DB_POOL_SIZE": "5",
        "CLINICOPS_LOG_LEVEL": "INFO",
    }


class Findings:
    """Checks that should not stop the flow: collected, then asserted together at the end. A problem seen again
    (same ``key``) is reported once, with how often it happened."""

    def __init__(self) -> None:
        self.items: dict[str, list] = {}
        self._lock = threading.Lock()  # the background load reports from its own thread

    def check(self, condition: bool, message: str, *, key: str | None = None) -> bool:
        if not condition:
            key = key or message
            with self._lock:
                if key in self.items:
                    self.items[key][1] += 1
                    return condition
                self.items[key] = [message, 1]
            print(f"[deploy] FINDING: {message}")
        return condition

    def assert_none(self, context: str) -> None:
        lines = [message + (f" (x{count})" if count > 1 else "") for message, count in self.items.values()]
        assert not lines, f"{len(lines)} problem(s):\n- " + "\n- ".join(lines) + f"\n{context}"


def _describe(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {response.text[:300]}"


# --- the small test: migrations from the wheel alone -----------------------------------------------------------


def test_the_wheel_ships_the_migrations(installed: Installation):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert "clinicops/migrations/env.py" in names
    assert "clinicops/migrations/script.py.mako" in names
    assert any(n.startswith("clinicops/migrations/versions/") and n.endswith(".py") for n in names), sorted(names)
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_the_dockerfile_builds_and_runs_what_this_test_installs():
    """The image cannot be built here (no Docker engine), so this module exercises its steps instead; this keeps
    the two from drifting apart: same build inputs, the wheel alone in the runtime stage, a non-root user, the
    ``clinicops`` entry point, and a context that actually contains the inputs."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = dockerfile.split("\nFROM ")
    assert len(stages) == 3, "expected a build stage and a runtime stage"
    build, runtime = stages[1], stages[2]
    copied = {source for line in build.splitlines() if line.startswith("COPY ")
              for source in line.split()[1:-1]}
    assert copied == set(BUILD_INPUTS), copied
    assert "pip wheel --no-deps" in build
    runtime_copies = [line for line in runtime.splitlines() if line.startswith("COPY ")]
    assert runtime_copies and all("--from=build" in line for line in runtime_copies), runtime_copies
    assert re.search(r"^USER (?!root\b|0\b)\S+", runtime, re.MULTILINE), "the runtime stage must switch to a non-root user"
    assert 'ENTRYPOINT ["clinicops"]' in runtime
    assert re.search(r'^CMD \["serve", "--host", "0\.0\.0\.0", "--port", "8000"', runtime, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*\n?.*/api/health/(live|ready)", runtime, re.MULTILINE)
    context = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in context  # an allow-list: nothing but the build inputs reaches the build
    for name in BUILD_INPUTS:
        assert f"!{name}" + ("/" if (ROOT / name).is_dir() else "") in context, (name, context)


def test_migrate_from_an_empty_directory(installed: Installation, postgres: TcpPostgres, empty_dir):
    database = postgres.create_app_database(f"migrate_only_{os.getpid()}")
    env = clean_environment(installed, staging_settings(database, free_port()))
    first = run_command(installed, ["migrate"], env=env, cwd=empty_dir)
    assert first.returncode == 0, first.stdout
    assert "Migrations applied" in first.stdout, first.stdout
    again = run_command(installed, ["migrate"], env=env, cwd=empty_dir)
    assert again.returncode == 0, again.stdout  # idempotent: every release runs it once more
    tables = {row[0] for row in postgres.query(
        database.name, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"alembic_version", "organizations", "appointments", "outbox_messages", "procrastinate_jobs"} <= tables
    owners = {row[0] for row in postgres.query(
        database.name, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")}
    assert owners == {database.user}, owners  # the app's own role, not a superuser, owns its schema
    assert list(empty_dir.iterdir()) == [], "a command wrote into its working directory"


# --- the main test ---------------------------------------------------------------------------------------------


class Api:
    """A small client of the hospital surface as the admin panel uses it."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S)
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sign_in(self, username: str, password: str) -> None:
        response = self.http.post("/api/auth/login/username-password",
                                  json={"username": username, "password": password})
        assert response.status_code == 200, _describe(response)
        self.token = response.json()["data"]["accessToken"]

    def create(self, path: str, body: dict, expected: int = 201) -> dict:
        response = self.http.post(path, json=body, headers=self.auth)
        assert response.status_code == expected, _describe(response)
        return response.json()["data"]

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, headers=self.auth)


def _set_up_clinic(api: Api) -> dict[str, int]:
    """What a new customer's admin does first: a centre, a clinician with weekly hours, a patient."""
    centre = api.create("/api/centres", {"name": "Indiranagar", "city": "Bangalore", "addressLine1": "1 MG Road",
                                         "pincode": "560038", "contactPhone": "9800000001"})
    every_day = [{"centre_id": centre["id"], "dayOfWeek": day, "startTime": "08:00", "endTime": "20:00",
                  "slotDurationMinutes": 30, "consultationMode": "IN_PERSON"} for day in range(7)]
    clinician = api.create("/api/clinicians", {
        "fullName": "Dr. Kavya Menon", "phone": "9876543210", "username": "dr.kavya",
        "password": "a-long-password-1", "primaryCentreId": centre["id"], "specialization": "Psychiatry",
        "consultationFee": 1500, "defaultDurationMinutes": 30, "consultationModes": ["IN_PERSON"],
        "availability_rules": every_day})
    patient = api.create("/api/patients", {"fullName": "Ravi Kumar", "phone": "9845001000", "gender": "MALE",
                                           "dateOfBirth": "1990-04-01"})
    return {"centre_id": centre["id"], "clinician_id": clinician["id"], "patient_id": patient["id"]}


def _book_and_take_cash(api: Api, clinic: dict[str, int], day: date, at: str) -> int:
    """A staff booking (BOOKED), then cash at the desk: the payment is recorded and the appointment CONFIRMED."""
    booked = api.create("/api/appointments", {**clinic, "appointment_type": "IN_PERSON",
                                              "scheduled_start_at": f"{day.isoformat()}T{at}:00",
                                              "duration_minutes": 30})
    assert booked["status"] == "BOOKED", booked
    paid = api.create(f"/api/appointments/{booked['id']}/confirm-direct-payment",
                      {"paymentMethod": "CASH", "paymentNotes": "Receipt 1"}, expected=200)
    assert paid["appointment"]["status"] == "CONFIRMED", paid
    return booked["id"]


def _otp_sent_to(postgres: TcpPostgres, database: AppDatabase, phone: str) -> tuple[str, str] | None:
    """(code, delivery status) of the newest OTP message to ``phone`` (E.164), as the outbox holds it."""
    rows = postgres.query(database.name, "SELECT params->>'otp', status FROM outbox_messages "
                          "WHERE recipient = %s AND template = 'otp' ORDER BY id DESC LIMIT 1", (phone,))
    return tuple(rows[0]) if rows else None


def _clinic_onboards(api: Api, postgres: TcpPostgres, database: AppDatabase, logs) -> str:
    """The clinic surface as deployed: a clinic registers (the separate worker delivers its WhatsApp OTP), verifies,
    adds a doctor, records a patient, an association and a visit with an ICD-10 diagnosis, and reads it back."""
    phone = "+919845002000"
    registered = api.http.post("/api/v1/auth/clinic/register", json={
        "clinicName": "Deploy Check Clinic", "address": "4 Lake Road, Pune", "whatsappNumber": phone,
        "adminName": "Dr. Deploy", "subscriptionPlan": "BASIC"})
    assert registered.status_code == 201, _describe(registered)
    wait_until(lambda: (_otp_sent_to(postgres, database, phone) or ("", ""))[1] in ("SENT", "DELIVERED"),
               timeout=FIRST_DELIVERY_S, interval=0.1, what="the clinic's registration OTP to be SENT by the worker",
               details=logs)
    code, _status = _otp_sent_to(postgres, database, phone)
    verified = api.http.post("/api/v1/auth/clinic/verify-registration", json={
        "registrationId": registered.json()["data"]["registrationId"], "otp": code, "password": "deploy-pass-123"})
    assert verified.status_code == 200, _describe(verified)
    admin = {"Authorization": f"Bearer {verified.json()['data']['accessToken']}"}
    doctor = api.http.post("/api/v1/doctors", headers=admin, json={
        "name": "Dr. Check", "whatsappNumber": "+919845002001", "specialization": "General Medicine",
        "consultationFee": 500, "advanceAmount": 0, "dailyLimit": 20, "consultationDuration": 15,
        "startTime": "09:00", "endTime": "17:00", "lunchBreak": "13:00-14:00"})
    assert doctor.status_code == 201, _describe(doctor)
    doctor_id = doctor.json()["data"]["doctor"]["doctorId"]
    linked = api.http.post(f"/api/v1/doctors/{doctor_id}/patients", headers=admin,
                           json={"patientPhone": "+919845002002", "patientName": "Asha Patil"})
    assert linked.status_code == 201, _describe(linked)
    patient_id = linked.json()["data"]["patientId"]
    visit = api.http.post(f"/api/v1/doctors/{doctor_id}/patients/{patient_id}/visits", headers=admin,
                          json={"chiefComplaint": "Cough for a week"})
    assert visit.status_code == 201, _describe(visit)
    visit_id = visit.json()["data"]["visitId"]
    diagnosis = api.http.post(f"/api/v1/visits/{visit_id}/diagnosis", headers=admin,
                              json={"diagnosis": "Acute bronchitis", "icd10Code": "J20.9", "severity": "MILD"})
    assert diagnosis.status_code in (200, 201), _describe(diagnosis)
    bad_code = api.http.post(f"/api/v1/visits/{visit_id}/diagnosis", headers=admin,
                             json={"diagnosis": "Nonsense", "icd10Code": "Q99.99X"})
    assert bad_code.status_code == 422, _describe(bad_code)
    read = api.http.get(f"/api/v1/visits/{visit_id}", headers=admin)
    assert read.status_code == 200 and read.json()["data"]["visit"]["icd10Code"] == "J20.9", _describe(read)
    found = api.http.get("/api/v1/patients/search", params={"phone": "+91984500200"}, headers=admin)
    assert found.status_code == 200 and found.text.count(patient_id) >= 1, _describe(found)
    return visit_id


def _messages(postgres: TcpPostgres, database: AppDatabase, appointment_id: int) -> dict[str, str]:
    rows = postgres.query(database.name, "SELECT template, status FROM outbox_messages WHERE appointment_id = %s",
                          (appointment_id,))
    return dict(rows)


def _wait_sent(postgres, database, appointment_id, *, timeout, details) -> float:
    """Seconds until the booking confirmation of ``appointment_id`` is SENT (or DELIVERED)."""
    started = time.monotonic()
    wait_until(lambda: _messages(postgres, database, appointment_id).get("booking_confirmation")
               in ("SENT", "DELIVERED"),
               timeout=timeout, interval=0.1, what=f"the booking confirmation of appointment {appointment_id} "
                                                   "to be SENT by the worker",
               details=lambda: f"outbox: {_messages(postgres, database, appointment_id)}\n{details()}")
    return time.monotonic() - started


def _poll_during_outage(api: Api, appointment_id: int, findings: Findings, seconds: float) -> int:
    """Ask the API again and again while PostgreSQL is down: every answer must be a quick 503 with Retry-After in
    the error envelope — except liveness, which is 200 (the process itself is fine). Returns the answers seen."""
    probes = {"GET /api/health": lambda: api.http.get("/api/health"),
              "GET /api/health/ready": lambda: api.http.get("/api/health/ready"),
              f"GET /api/appointments/{appointment_id} (signed in)":
                  lambda: api.get(f"/api/appointments/{appointment_id}"),
              "GET /api/auth/me (signed in)": lambda: api.get("/api/auth/me"),
              "GET /api/health/live": lambda: api.http.get("/api/health/live")}
    answers = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for label, probe in probes.items():
            expected = 200 if label.endswith("/live") else 503
            started = time.monotonic()
            try:
                response = probe()
            except httpx.HTTPError as exc:  # a reset, a refused connection, a timeout: never acceptable
                findings.check(False, f"database down: {label} raised {exc!r} after "
                                      f"{time.monotonic() - started:.1f} s instead of answering {expected}",
                               key=f"{label} raised {type(exc).__name__}")
                continue
            answers += 1
            elapsed = time.monotonic() - started
            findings.check(elapsed < REQUEST_TIMEOUT_S - 2, f"database down: {label} took {elapsed:.1f} s",
                           key=f"{label} slow")
            if not findings.check(response.status_code == expected,
                                  f"database down: {label} answered {response.status_code}, expected {expected}: "
                                  f"{response.text[:300]}", key=f"{label} {response.status_code}"):
                continue
            if expected == 503:
                findings.check("Retry-After" in response.headers,
                               f"database down: {label} answered 503 without a Retry-After header")
                body = response.json()
                findings.check(body.get("success") is False and "code" in body.get("error", {}),
                               f"database down: {label} 503 is not the error envelope: {response.text[:300]}",
                               key=f"{label} envelope")
        time.sleep(0.2)
    return answers


class BackgroundLoad:
    """Signed-in reads and health checks in a loop, from before PostgreSQL stops until after it is back: at the
    moment of the stop live connections are cut (SQLSTATE 57P01), then refused, then "starting up" (57P03).
    Every answer must be 200 or 503; a 500, a reset connection or a hang is a finding."""

    def __init__(self, base_url: str, token: str, appointment_id: int, findings: Findings) -> None:
        self.paths = [f"/api/appointments/{appointment_id}", "/api/health", "/api/auth/me"]
        self.http = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S,
                                 headers={"Authorization": f"Bearer {token}"})
        self.findings = findings
        self.counts: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background-load", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * REQUEST_TIMEOUT_S)
        self.http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for path in self.paths:
                try:
                    status = self.http.get(path).status_code
                except httpx.HTTPError as exc:
                    self.findings.check(False, f"around the restart: GET {path} raised {exc!r}",
                                        key=f"load {path} {type(exc).__name__}")
                    continue
                self.counts[status] = self.counts.get(status, 0) + 1
                self.findings.check(status in (200, 503), f"around the restart: GET {path} answered {status}, "
                                                          "expected 200 or 503", key=f"load {path} {status}")
            time.sleep(0.05)


def _json_log_problems(service: Service) -> list[str]:
    """Lines of a service's output that are not one JSON object (outside development, logs ship as JSON lines)."""
    bad = []
    for line in service.output().splitlines():
        if not line.strip():
            continue
        try:
            if not isinstance(json.loads(line), dict):
                bad.append(line)
        except ValueError:
            bad.append(line)
    return bad


def test_staging_deployment_books_delivers_and_survives_a_database_restart(
        installed: Installation, postgres: TcpPostgres, empty_dir, tmp_path):
    t0 = time.monotonic()
    database = postgres.create_app_database(f"staging_{os.getpid()}")
    port = free_port()
    env = clean_environment(installed, staging_settings(database, port))
    findings = Findings()
    services: list[Service] = []
    api = Api(f"http://127.0.0.1:{port}")

    def logs() -> str:
        parts = [f"--- {s.name} (exit {s.proc.poll()}) {' '.join(s.args)} ---\n{s.tail(120)}" for s in services]
        parts.append(f"--- postgres log ---\n{postgres.log_text()[-6000:]}")
        return "\n".join(parts)

    def step(message: str) -> None:
        print(f"[deploy] {time.monotonic() - t0:6.1f} s  {message}")

    try:
        # 1. the release steps, from the wheel, in an empty directory
        migrated = run_command(installed, ["migrate"], env=env, cwd=empty_dir)
        assert migrated.returncode == 0, migrated.stdout
        admin = run_command(installed, ["create-admin", "--username", ADMIN["username"], "--password",
                                        ADMIN["password"], "--phone", ADMIN["phone"], "--name", "Operations Admin"],
                            env=env, cwd=empty_dir)
        assert admin.returncode == 0, admin.stdout
        step("migrated, admin created")

        # 2. the processes: two API processes behind one port, and a separate job worker
        serve = Service("serve", installed, ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
                                             "--graceful-timeout", "10"], env=env, cwd=empty_dir, log_dir=tmp_path)
        services.append(serve)
        worker = Service("worker", installed, ["worker", "--concurrency", "2"], env=env, cwd=empty_dir,
                         log_dir=tmp_path)
        services.append(worker)

        def api_up() -> bool:
            assert serve.running, f"clinicops serve exited with {serve.proc.returncode}\n{logs()}"
            assert worker.running, f"clinicops worker exited with {worker.proc.returncode}\n{logs()}"
            return api.http.get("/api/health").status_code == 200

        wait_until(api_up, timeout=60, what="GET /api/health to answer 200", details=logs)
        step("serve (2 processes) and worker up; /api/health 200")
        for path in ("/api/health/live", "/api/health/ready"):
            response = api.http.get(path)
            findings.check(response.status_code == 200, f"steady state: {_describe(response)}, expected 200")
        findings.check(api.http.get("/api/dev/messages").status_code == 404,
                       "staging mounts /api/dev/messages (development and test only)")
        preflight = api.http.options("/api/centres", headers={"Origin": "https://b.example",
                                                              "Access-Control-Request-Method": "GET"})
        findings.check(preflight.headers.get("access-control-allow-origin") == "https://b.example",
                       f"CORS comma list not applied: preflight from https://b.example -> {preflight.status_code} "
                       f"{dict(preflight.headers)}")

        # 3. the first morning: admin signs in, sets up, books, takes cash; the worker sends the confirmation
        api.sign_in(ADMIN["username"], ADMIN["password"])
        clinic = _set_up_clinic(api)
        day = datetime.now(CENTRE_ZONE).date() + timedelta(days=2)
        first = _book_and_take_cash(api, clinic, day, "10:00")
        step(f"appointment {first} booked and paid in cash (CONFIRMED)")
        took = _wait_sent(postgres, database, first, timeout=FIRST_DELIVERY_S, details=logs)
        step(f"booking confirmation SENT by the separate worker after {took:.2f} s")
        visit = _clinic_onboards(api, postgres, database, logs)
        step(f"a clinic registered on /api/v1 (OTP delivered by the worker), added a doctor and recorded {visit}")

        # 4. the database goes away for a while, under a little load
        with BackgroundLoad(api.http.base_url, api.token, first, findings) as load:
            time.sleep(0.5)
            postgres.stop("fast")
            step("PostgreSQL stopped (pg_ctl stop -m fast)")
            answers = _poll_during_outage(api, first, findings, OUTAGE_S)
            step(f"{answers} answers checked while the database was down")
            findings.check(serve.running, f"clinicops serve died while the database was down "
                                          f"(exit {serve.proc.returncode})")
            postgres.start()
            step("PostgreSQL started again")
            time.sleep(1.0)
        step(f"background load around the restart, answers by status: {dict(sorted(load.counts.items()))}")

        # 5. recovery: normal answers within 30 s, the same worker still running and delivering
        restarted = time.monotonic()

        def serving_again() -> bool:
            assert serve.running, f"clinicops serve exited with {serve.proc.returncode}"
            return (api.get(f"/api/appointments/{first}").status_code == 200
                    and api.http.get("/api/health").status_code == 200)

        try:
            wait_until(serving_again, timeout=RECOVERY_S, interval=0.5,
                       what="the API to answer 200 again (signed-in read and /api/health)",
                       details=lambda: _describe(api.http.get("/api/health")))
            step(f"API answers 200 again {time.monotonic() - restarted:.1f} s after the restart")
        except AssertionError as exc:
            findings.check(False, f"after the restart: {exc}")
        worker_alive = findings.check(worker.running, f"clinicops worker exited after the database restart "
                                                      f"(exit {worker.proc.returncode}); it must reconnect")
        # the public slot list comes from each API process's schedule cache: warm both (the kernel spreads new
        # connections over the two processes), book, and every process must stop offering the slot at once
        slots = (f"/api/booking/available-slots?clinicianId={clinic['clinician_id']}"
                 f"&centreId={clinic['centre_id']}&date={day.isoformat()}")

        def offered() -> dict[str, bool]:
            with httpx.Client(base_url=api.http.base_url, timeout=REQUEST_TIMEOUT_S) as fresh:
                response = fresh.get(slots)
            assert response.status_code == 200, _describe(response)
            return {s["startTime"]: s["available"] for s in response.json()["data"]["slots"]}

        def listeners() -> int:  # each API process listens again after the restart: its caches are in use
            return postgres.query(database.name, "SELECT count(*) FROM pg_stat_activity "
                                  "WHERE application_name = 'clinicops-listener'")[0][0]

        wait_until(lambda: listeners() == 2, timeout=RECOVERY_S, interval=0.1,
                   what="both API processes' change-feed listeners to reconnect", details=lambda: str(listeners()))
        for _ in range(8):
            findings.check(offered().get("10:30") is True and offered().get("10:00") is False,
                           f"slot list before the second booking: {offered()}")
        second = _book_and_take_cash(api, clinic, day, "10:30")
        wait_until(lambda: offered().get("10:30") is False, timeout=1.0, interval=0.01,
                   what="the booked 10:30 slot to be withdrawn from the public slot list", details=offered)
        stale = sum(offered().get("10:30") is not False for _ in range(8))
        findings.check(stale == 0, f"{stale} of 8 slot lists (fresh connections) still offered the booked 10:30")
        step("the booked slot left every process's public slot list at once (schedule cache, change feed)")
        if worker_alive:
            try:
                took = _wait_sent(postgres, database, second, timeout=RECOVERY_S, details=lambda: "")
                step(f"after the restart the same worker SENT the next confirmation in {took:.2f} s")
            except AssertionError as exc:
                findings.check(False, f"after the restart: {exc}")

        # 6. graceful stop: SIGTERM, exit status 0
        for service in services:
            status = service.terminate(timeout=45)
            findings.check(status == 0, f"{service.name}: exit status {status} after SIGTERM, expected 0")
        step("serve and worker stopped")
        for service in services:
            bad = _json_log_problems(service)
            findings.check(not bad, f"{service.name}: {len(bad)} output line(s) are not JSON log objects, e.g. "
                                    f"{bad[:3]}")
        findings.check(not list(empty_dir.iterdir()), f"the processes wrote into their working directory: "
                                                       f"{sorted(p.name for p in empty_dir.iterdir())}")
        findings.assert_none(logs())
    except BaseException:
        print(logs())
        raise
    finally:
        api.close()
        for service in services:
            service.cleanup()
        if not postgres.is_running():  # leave the session's server running for any later test
            with contextlib.suppress(Exception):
                postgres.start()
