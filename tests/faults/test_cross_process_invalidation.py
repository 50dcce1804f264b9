"""Two API processes on one PostgreSQL, each with its own identity, directory and schedule caches: a change made through
one process (or behind both) takes effect on the next request the other serves.

The only window is the change notification's delivery to the other process's listener (``clinicops.changes``).
Each check polls the other process from the moment the change's response arrived until it answers the new way,
and holds that to ``BOUND_S``; the figures are printed (``pytest -s``). Killing the listeners' backends
(``pg_terminate_backend``) must leave no stale window: until a process listens again it reads the database.
"""

from __future__ import annotations

import os
import statistics
import time

import httpx
import pytest
from sqlalchemy import text

from clinicops.config import get_settings
from clinicops.organizations.models import Centre, Organization
from tests.builders.availability import at, future_weekday
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import PASSWORD, make_patient, make_staff
from tests.processes import free_port, start, stop, wait_for, wait_ready

BOUND_S = 0.2  # measured: no stale answer at all; the first request after the change already answers the new way
#                (3-16 ms, that one request included)
LISTENERS_SQL = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clinicops-listener' "
                     "AND datname = current_database()")
latencies: list[tuple[float, int]] = []  # (seconds until the other process answered the new way, stale answers)
HTTP = httpx.Client(timeout=10)  # one client: a poll costs one request, not a connection setup


@pytest.fixture
async def two_processes(committed, tmp_path, database_url):
    factory, _client = committed
    env = {**os.environ, "CLINICOPS_INLINE_WORKER": "false"}
    servers = []
    try:
        for name in ("a", "b"):
            port, log = free_port(), tmp_path / f"serve-{name}.log"
            servers.append((port, start(["serve", "--port", str(port), "--workers", "1"], env, log), log))
        for port, proc, log in servers:
            wait_ready(port, proc, log)
        await _wait_listeners(factory, 2)
        yield factory, [f"http://127.0.0.1:{port}" for port, _proc, _log in servers]
    finally:
        for _port, proc, log in servers:
            assert stop(proc) == 0, log.read_text()
            assert "Traceback" not in log.read_text(), log.read_text()
    if latencies:
        print(f"\ninvalidation seen by the other process after (ms, stale answers): "
              f"{[(round(x * 1000, 1), n) for x, n in latencies]}; "
              f"median {statistics.median(x for x, _n in latencies) * 1000:.1f} ms")


async def _wait_listeners(factory, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with factory() as session:
            if (await session.execute(LISTENERS_SQL)).scalar_one() >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"{count} listeners never connected")


@pytest.fixture
async def people(two_processes):
    factory, urls = two_processes
    async with factory() as session, session.begin():
        org = await make_org(session, slug=get_settings().default_organization)
        centre = await make_centre(session, org=org, name="Lake Centre")
        admin = await make_staff(session, org=org, role="ADMIN", username="boss")
        staff = await make_staff(session, org=org, role="ADMIN", username="second")
        doctor = await make_clinician(session, org=org, centre=centre, full_name="Dr. First", weekdays=(1,))
    return factory, urls, _sign_in(urls[0], "boss"), _sign_in(urls[0], "second"), staff, doctor


def _sign_in(url: str, username: str) -> dict[str, str]:
    response = httpx.post(f"{url}/api/auth/login/username-password",
                          json={"username": username, "password": PASSWORD}, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['data']['accessToken']}"}


def _warm(url: str, path: str, headers: dict | None = None, expected: int = 200) -> None:
    for _ in range(3):  # the first fills the process's caches, the others are served from them
        assert HTTP.get(f"{url}{path}", headers=headers).status_code == expected


def _until(check, what: str) -> float:
    """Poll ``check()`` on the other process right after a change's response; seconds until it held."""
    started, stale = time.monotonic(), 0
    while not check():
        stale += 1
        assert time.monotonic() - started < 5, f"{what} never took effect"
    elapsed = time.monotonic() - started
    latencies.append((elapsed, stale))
    assert elapsed <= BOUND_S, f"{what}: {elapsed * 1000:.0f} ms"
    return elapsed


def _status(url: str, path: str, headers: dict) -> int:
    return HTTP.get(f"{url}{path}", headers=headers).status_code


async def test_a_deactivated_user_is_refused_by_the_other_process(people):
    _factory, (a, b), boss, second, staff, _doctor = people
    _warm(b, "/api/auth/me", second)
    response = httpx.patch(f"{a}/api/users/{staff.id}/toggle-active", json={"is_active": False}, headers=boss)
    assert response.status_code == 200, response.text
    _until(lambda: _status(b, "/api/auth/me", second) == 401, "deactivation")


async def test_a_logged_out_session_is_refused_by_the_other_process(people):
    _factory, (a, b), _boss, second, _staff, _doctor = people
    _warm(b, "/api/auth/me", second)
    assert httpx.post(f"{a}/api/auth/logout", headers=second, timeout=10).status_code == 200
    _until(lambda: _status(b, "/api/auth/me", second) == 401, "logout")


async def test_a_changed_role_takes_effect_on_the_other_process(people):
    factory, (a, b), boss, second, staff, _doctor = people
    _warm(b, "/api/users", second)
    # Behind every process's back and without a token_version bump: the roles themselves are re-read.
    async with factory() as session, session.begin():
        await session.execute(text("UPDATE user_roles SET role = 'FRONT_DESK' WHERE user_id = :u"), {"u": staff.id})
    _until(lambda: _status(b, "/api/users", second) == 403, "a role change made in the database")
    # Through the API (which also ends the user's sessions): refused outright.
    response = httpx.put(f"{a}/api/users/{staff.id}", json={"role": "MANAGER"}, headers=boss, timeout=10)
    assert response.status_code == 200, response.text
    _until(lambda: _status(b, "/api/auth/me", second) == 401, "a role change through the API")


async def test_a_changed_clinician_is_not_served_stale_by_the_other_process(people):
    _factory, (a, b), boss, _second, _staff, doctor = people

    def names() -> list[str]:
        response = HTTP.get(f"{b}/api/users/clinicians")
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        rows = data if isinstance(data, list) else data.get("clinicians", data.get("items", []))
        return [row.get("fullName") or row.get("name") for row in rows]

    _warm(b, "/api/users/clinicians")
    assert names() == ["Dr. First"]
    response = httpx.put(f"{a}/api/clinicians/{doctor.id}", json={"fullName": "Dr. Renamed"}, headers=boss,
                         timeout=10)
    assert response.status_code == 200, response.text
    _until(lambda: names() == ["Dr. Renamed"], "a clinician rename")


async def test_a_lost_listener_leaves_no_stale_window(people):
    factory, (_a, b), _boss, second, staff, _doctor = people
    for round_ in range(3):
        _warm(b, "/api/auth/me", second)
        async with factory() as session, session.begin():
            killed = (await session.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'clinicops-listener' AND datname = current_database()"))).scalar_one()
        assert killed == 2
        # Announced to nobody (no listener is connected): the very next answer must still see it.
        async with factory() as session, session.begin():
            await session.execute(text("UPDATE users SET is_active = NOT is_active WHERE id = :u"), {"u": staff.id})
        assert _status(b, "/api/auth/me", second) == 401, f"round {round_}: served from a stale cache"
        await _wait_listeners(factory, 2)
        async with factory() as session, session.begin():
            await session.execute(text("UPDATE users SET is_active = true WHERE id = :u"), {"u": staff.id})
        wait_for(lambda: _status(b, "/api/auth/me", second) == 200, 5, "the user to be active again", 0.01)
    # Listening again: changes are announced again, and caches are trusted again.
    _warm(b, "/api/auth/me", second)
    async with factory() as session, session.begin():
        await session.execute(text("UPDATE users SET is_active = false WHERE id = :u"), {"u": staff.id})
    _until(lambda: _status(b, "/api/auth/me", second) == 401, "a deactivation after the reconnect")


async def test_a_slot_booked_through_one_process_is_not_offered_by_the_other(people):
    factory, (a, b), boss, _second, _staff, doctor = people
    async with factory() as session, session.begin():
        org = await session.get(Organization, doctor.organization_id)
        centre = await session.get(Centre, doctor.primary_centre_id)
        patient = await make_patient(session, org=org)
    day = future_weekday(centre, 1)
    path = f"/api/booking/available-slots?clinicianId={doctor.id}&centreId={centre.id}&date={day.isoformat()}"

    def offered() -> dict[str, bool]:
        response = HTTP.get(f"{b}{path}")
        assert response.status_code == 200, response.text
        return {s["startTime"]: s["available"] for s in response.json()["data"]["slots"]}

    _warm(b, path)
    assert offered()["10:00"] is True
    response = httpx.post(f"{a}/api/appointments", headers=boss, timeout=10, json={
        "patient_id": patient.id, "clinician_id": doctor.id, "centre_id": centre.id, "appointment_type": "IN_PERSON",
        "scheduled_start_at": at(day, "10:00", centre).isoformat()})
    assert response.status_code == 201, response.text
    _until(lambda: offered()["10:00"] is False, "a booking made through the other process")
    appointment_id = response.json()["data"]["id"]
    response = httpx.post(f"{a}/api/appointments/{appointment_id}/cancel", headers=boss, timeout=10,
                          json={"reason": "patient asked"})
    assert response.status_code == 200, response.text
    _until(lambda: offered()["10:00"] is True, "a cancellation made through the other process")
