"""Unpaid holds: a web booking holds its slot until the hold lapses; the job (or the next booking) releases it."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from clinicops.appointments import holds
from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.appointments.tasks import release_expired_holds
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.payments.models import Payment
from tests.builders.appointments import make_world, patient_headers, web_body
from tests.builders.people import bearer, make_patient
from tests.builders.slots import add_appointment


async def _book(client, world, headers, hhmm="10:00"):
    response = await client.post("/api/booking/create", json=web_body(world, hhmm=hhmm), headers=headers)
    assert response.status_code in (201, 409), response.text
    return response


async def _lapse(db, appointment_id: int, minutes_ago: int = 1) -> Appointment:
    row = await db.get(Appointment, appointment_id)
    await db.refresh(row)
    row.hold_expires_at = utcnow() - timedelta(minutes=minutes_ago)
    await db.flush()
    return row


async def _events(db, appointment_id: int) -> list[AppointmentEvent]:
    return list((await db.execute(select(AppointmentEvent).where(
        AppointmentEvent.appointment_id == appointment_id).order_by(AppointmentEvent.id))).scalars())


async def test_unexpired_hold_blocks_and_expired_hold_is_released_with_reason(client, db):
    world = await make_world(db)
    other = await make_patient(db, org=world.org)
    first = (await _book(client, world, bearer(world.patient_user))).json()["data"]["appointment"]
    blocked = await _book(client, world, await patient_headers(db, other))
    assert blocked.status_code == 409  # the hold is still running

    await _lapse(db, first["id"])
    released = await release_expired_holds()
    assert released == 1
    row = await db.get(Appointment, first["id"])
    await db.refresh(row)
    assert row.status == "CANCELLED" and row.hold_expires_at is None
    last = (await _events(db, first["id"]))[-1]
    assert (last.from_status, last.to_status, last.actor) == ("BOOKED", "CANCELLED", "HOLD_EXPIRY")
    assert last.reason == f"Payment not completed within {get_settings().patient_hold_minutes} minutes"
    assert await release_expired_holds() == 0  # safe to run twice

    again = await _book(client, world, await patient_headers(db, other))
    assert again.status_code == 201


async def test_booking_releases_a_lapsed_hold_before_the_job_runs(client, db):
    world = await make_world(db)
    other = await make_patient(db, org=world.org)
    first = (await _book(client, world, bearer(world.patient_user))).json()["data"]["appointment"]
    await _lapse(db, first["id"])
    slots = await client.get("/api/booking/available-slots", params={
        "clinicianId": world.clinician.id, "centreId": world.centre.id, "date": world.day.isoformat()})
    assert slots.status_code == 200, slots.text  # the slot engine shows a lapsed hold as free ...
    ten = [s for s in slots.json()["data"]["slots"] if s["startTime"] == "10:00" and s["mode"] == "IN_PERSON"]
    assert ten and ten[0]["available"] is True
    # ... and booking it is accepted (the lapsed hold is released first, so the database does not refuse it)
    second = await _book(client, world, await patient_headers(db, other))
    assert second.status_code == 201
    events = await _events(db, first["id"])
    assert events[-1].actor == "HOLD_EXPIRY" and events[-1].to_status == "CANCELLED"


async def test_confirmed_or_paid_bookings_are_never_released(client, db):
    world = await make_world(db)
    past = utcnow() - timedelta(minutes=5)
    confirmed = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                      starts_at=world.at("10:00"), status="CONFIRMED", hold_expires_at=past)
    paid = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                 starts_at=world.at("11:00"), hold_expires_at=past)
    db.add(Payment(organization_id=world.org.id, patient_id=world.patient.id, appointment_id=paid.id,
                   provider="offline", amount_paise=1500_00, status="SUCCESS", paid_at=utcnow()))
    lapsed = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                   starts_at=world.at("12:00"), hold_expires_at=past)
    running = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                    starts_at=world.at("12:30"), hold_expires_at=utcnow() + timedelta(minutes=5))
    await db.flush()
    assert await holds.release_expired(db) == [lapsed.id]
    for row, status in ((confirmed, "CONFIRMED"), (paid, "BOOKED"), (lapsed, "CANCELLED"), (running, "BOOKED")):
        await db.refresh(row)
        assert row.status == status


async def test_concurrent_releases_cancel_each_hold_once(committed):
    factory, _client = committed
    async with factory() as session:
        world = await make_world(session)
        past = utcnow() - timedelta(minutes=1)
        ids = []
        for hhmm in ("09:00", "09:30", "10:00", "10:30", "11:00"):
            row = await add_appointment(session, clinician=world.clinician, centre=world.centre,
                                        patient=world.patient, starts_at=world.at(hhmm), hold_expires_at=past)
            ids.append(row.id)
        await session.commit()

    async def one_run() -> int:
        return await holds.release_all_expired(_unit(factory))

    results = await asyncio.gather(*(one_run() for _ in range(4)))
    assert sum(results) == len(ids)
    async with factory() as session:
        events = (await session.execute(select(AppointmentEvent).where(
            AppointmentEvent.to_status == "CANCELLED"))).scalars().all()
        assert sorted(e.appointment_id for e in events) == sorted(ids)


def _unit(factory):
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def unit():
        async with factory() as session:
            async with session.begin():
                yield session

    return unit
