"""The clinician lock: every path that puts an appointment on a clinician's time queues on it before writing.

The races themselves (50 contenders, one winner) are in tests/faults/test_reschedule_race.py; these tests pin the
mechanism: where the lock is taken, that it queues only that clinician, and that a moved appointment is written
once (in place).
"""
from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from clinicops.appointments import repository
from clinicops.appointments.models import Appointment
from clinicops.kit.locking import int4_key
from tests.builders.appointments import book_as_staff, make_world, staff_body, web_body
from tests.builders.clinicians import make_clinician
from tests.builders.people import bearer, make_patient

LOCK = "pg_advisory_xact_lock"
WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE) appointments\b", re.IGNORECASE)


def _lock_then_writes(statements: list[str]) -> tuple[int, list[str]]:
    """Index of the first lock statement, and the appointment writes in order (asserting none precedes it)."""
    locks = [i for i, s in enumerate(statements) if LOCK in s]
    writes = [i for i, s in enumerate(statements) if WRITE.match(s)]
    assert locks and writes, statements
    assert locks[0] < writes[0], [statements[i][:60] for i in sorted(locks + writes)]
    return locks[0], [statements[i].split("(")[0].split(" SET ")[0].strip() for i in writes]


async def test_staff_and_web_bookings_lock_the_clinician_before_writing(client, db, count_sql):
    world = await make_world(db)
    with count_sql() as staff:
        await book_as_staff(client, world, world.desk, world.at("10:00"))
    with count_sql() as web:
        response = await client.post("/api/booking/create", json=web_body(world, hhmm="11:00"),
                                     headers=bearer(world.patient_user))
        assert response.status_code == 201, response.text
    for log in (staff, web):
        _, writes = _lock_then_writes(log.queries)
        assert writes == ["INSERT INTO appointments"]  # the new row, complete, in one write


async def test_reschedule_locks_before_moving_the_row_and_writes_it_once(client, db, count_sql):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.desk, world.at("10:00"))
    held_until = (await db.get(Appointment, data["id"])).hold_expires_at
    assert held_until is not None
    with count_sql() as log:
        moved = await client.put(f"/api/appointments/{data['id']}", headers=bearer(world.admin),
                                 json={"scheduledStartAt": world.at("11:00").isoformat(), "notes": "moved"})
        assert moved.status_code == 200, moved.text
    _, writes = _lock_then_writes(log.queries)
    # the appointment itself moves: its new time, notes and kept hold go in one UPDATE, after the lock
    assert writes == ["UPDATE appointments"]
    new = moved.json()["data"]
    assert new["id"] == data["id"] and new["notes"] == "moved" and new["parent_appointment_id"] is None
    row = (await db.execute(select(Appointment).where(Appointment.id == data["id"]))).scalar_one()
    await db.refresh(row)
    assert row.starts_at == world.at("11:00") and row.hold_expires_at == held_until and row.version == 2


async def test_a_held_lock_queues_only_that_clinicians_bookings_and_moves(committed):
    factory, client = committed
    async with factory() as session:
        world = await make_world(session)
        other = await make_clinician(session, org=world.org, centre=world.centre, full_name="Dr. Ravi Menon",
                                     weekdays=tuple(range(7)))
        patient = await make_patient(session, org=world.org)
        await session.commit()
    first = await book_as_staff(client, world, world.desk, world.at("09:00"))

    async with factory() as holder:
        await repository.lock_clinician_time(holder, world.clinician.id)
        booking = asyncio.create_task(client.post("/api/appointments", headers=bearer(world.desk),
                                                  json=staff_body(world, starts_at=world.at("10:00"),
                                                                  patient=patient)))
        move = asyncio.create_task(client.put(f"/api/appointments/{first['id']}", headers=bearer(world.admin),
                                              json={"scheduledStartAt": world.at("11:00").isoformat()}))
        elsewhere = await client.post("/api/appointments", headers=bearer(world.desk), json={
            **staff_body(world, starts_at=world.at("10:00"), patient=patient), "clinician_id": other.id})
        assert elsewhere.status_code == 201, elsewhere.text  # another clinician's time is not queued
        await asyncio.sleep(0.3)
        assert not booking.done() and not move.done()
        await holder.rollback()  # the lock ends with the transaction that held it
    done = await asyncio.wait_for(asyncio.gather(booking, move), timeout=10)
    assert [r.status_code for r in done] == [201, 200], [r.text for r in done]


async def test_clinician_ids_beyond_int4_still_lock(db):
    await repository.lock_clinician_time(db, 2**40 + 7)
    assert int4_key(2**31) == -(2**31) and int4_key(7) == 7 and int4_key(-1) == -1
