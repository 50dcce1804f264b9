"""Rescheduling, called directly: ``appointments.service.reschedule`` over ``booking.move``. The appointment moves
in place (same id, same status, its hold kept), its history holds both times in its centre's zone, the patient is
told, an ONLINE one gets a new Meet link by a job after commit; a refused move changes nothing. (The lock order
and the single UPDATE are in tests/appointments/test_clinician_lock.py, the race in tests/faults/.)"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from clinicops.appointments import booking, slots
from clinicops.appointments import service as appointments
from clinicops.appointments.exceptions import AppointmentNotFound
from clinicops.db import unit_of_work
from clinicops.errors import InvalidTransition, SlotUnavailable
from clinicops.kit.timezones import human, zone
from clinicops.lifecycle import Actor, change_status
from clinicops.lifecycle import AppointmentStatus as S
from tests.core.world import events, outbox, reload

MEET_JOB = "clinicops:video.create_meet_link"


async def _online_confirmed(db, world, side, hhmm: str = "14:00"):
    """A paid ONLINE appointment whose Meet link (a calendar event we made) is for its current time."""
    booked = await booking.book(db, organization_id=side.org.id, patient_id=world.shared.id,
                                clinician_id=side.clinician.id, centre_id=side.centre.id, mode="ONLINE",
                                starts_at=side.at(hhmm), source="ADMIN", actor_user_id=side.admin.id,
                                actor=Actor.STAFF, status=S.CONFIRMED)
    row = booked.appointment
    row.meet_link, row.meet_event_id = "https://meet.google.com/old-link-xyz", "offline-evt-old"
    await db.flush()
    return row


async def _taken(db, side, mode: str) -> dict[datetime, int | None]:
    day = await slots.day_slots(db, organization_id=side.org.id, clinician_id=side.clinician.id,
                                centre_id=side.centre.id, day=side.day, mode=mode)
    return {s.starts_at: s.appointment_id for s in day if not s.available}


async def test_a_reschedule_moves_the_same_appointment_and_keeps_its_status(db, world, queued_jobs):
    b = world.b
    row = await _online_confirmed(db, world, b)
    async with unit_of_work() as session:
        view = await appointments.reschedule(session, b.admin_principal, row.id,
                                             scheduled_start_at=b.at("15:30"), reason="Doctor's request")
        assert view.appointment.id == row.id
    await reload(db, row)
    assert (row.status, row.starts_at, row.ends_at, row.duration_minutes) == (
        "CONFIRMED", b.at("15:30"), b.at("16:00"), 30)
    assert (row.meet_link, row.meet_event_id) == (None, None)  # the old time's meeting is dropped ...
    assert (MEET_JOB, {"appointment_id": row.id}) in queued_jobs()  # ... and a job makes the new one
    day = b.day.isoformat()
    assert await events(db, row.id) == [
        (None, "CONFIRMED", "STAFF", "Booked"),
        ("CONFIRMED", "CONFIRMED", "STAFF",
         f"Rescheduled from {day}T14:00:00+04:00 to {day}T15:30:00+04:00: Doctor's request")]
    [message] = await outbox(db, row.id)
    dubai = zone("Asia/Dubai")
    assert (message.template, message.organization_id) == ("appointment_rescheduled", b.org.id)
    assert (message.params["old_when"], message.params["when"]) == (human(b.at("14:00"), dubai),
                                                                    human(b.at("15:30"), dubai))
    assert await _taken(db, b, "ONLINE") == {b.at("15:30"): row.id}


async def test_a_held_booking_moves_with_its_hold_and_needs_no_meeting(db, world, queued_jobs):
    a = world.a
    held = (await booking.book_as_patient(db, world.patient(), organization_id=a.org.id,
                                          clinician_id=a.clinician.id, centre_id=a.centre.id, mode="IN_PERSON",
                                          day=a.day, at=time(10, 0))).appointment
    hold = held.hold_expires_at
    async with unit_of_work() as session:
        # a naive time is wall-clock at the centre (Kolkata), whatever the process's zone
        await appointments.reschedule(session, a.admin_principal, held.id,
                                      scheduled_start_at=datetime.combine(a.day, time(11, 30)))
    await reload(db, held)
    assert (held.status, held.starts_at, held.hold_expires_at) == ("BOOKED", a.at("11:30"), hold)
    day = a.day.isoformat()
    assert (await events(db, held.id))[-1] == (
        "BOOKED", "BOOKED", "STAFF", f"Rescheduled from {day}T10:00:00+05:30 to {day}T11:30:00+05:30")
    assert [m.template for m in await outbox(db, held.id)] == ["appointment_rescheduled"]
    assert [name for name, _ in queued_jobs() if name == MEET_JOB] == []
    assert await _taken(db, a, "IN_PERSON") == {a.at("11:30"): held.id}


REFUSED = {
    # name: (the move, given the world and the appointment of B at 14:00; the error)
    "onto a taken slot": (lambda world, id: dict(scheduled_start_at=world.b.at("15:00")), SlotUnavailable),
    "onto a time that is no slot": (lambda world, id: dict(scheduled_start_at=world.b.at("15:10")),
                                    SlotUnavailable),
    "into in-person hours": (lambda world, id: dict(scheduled_start_at=world.b.at("10:00")), SlotUnavailable),
    "into the past": (lambda world, id: dict(scheduled_start_at=world.b.at("15:00") - timedelta(days=5)),
                      SlotUnavailable),
    "by the other organization": (lambda world, id: dict(scheduled_start_at=world.b.at("16:00"),
                                                         principal=world.a.admin_principal), AppointmentNotFound),
    "by a desk of another centre": (lambda world, id: dict(scheduled_start_at=world.b.at("16:00"),
                                                           principal=world.a.desk_principal), AppointmentNotFound),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_refused_move_changes_nothing(db, world, case):
    b = world.b
    row = await _online_confirmed(db, world, b)
    await booking.book(db, organization_id=b.org.id, patient_id=world.only_a.id, clinician_id=b.clinician.id,
                       centre_id=b.centre.id, mode="ONLINE", starts_at=b.at("15:00"), source="ADMIN",
                       actor_user_id=b.admin.id, actor=Actor.STAFF)
    move, error = REFUSED[case]
    arguments = move(world, row.id)
    principal = arguments.pop("principal", b.admin_principal)
    with pytest.raises(error):
        await appointments.reschedule(db, principal, row.id, **arguments)
    await reload(db, row)
    assert (row.status, row.starts_at, row.ends_at) == ("CONFIRMED", b.at("14:00"), b.at("14:30"))
    assert (row.meet_link, row.meet_event_id) == ("https://meet.google.com/old-link-xyz", "offline-evt-old")
    assert await events(db, row.id) == [(None, "CONFIRMED", "STAFF", "Booked")]
    assert await outbox(db, row.id) == []


@pytest.mark.parametrize("status", [S.CANCELLED, S.CHECKED_IN])
async def test_an_appointment_past_moving_is_refused(db, world, status):
    b = world.b
    row = await _online_confirmed(db, world, b)
    now = b.at("14:00") - timedelta(hours=1)  # check-in opens two hours before the start
    await change_status(db, row, status, actor_user_id=b.admin.id, actor=Actor.STAFF, notify=False, now=now)
    history = await events(db, row.id)
    with pytest.raises(InvalidTransition) as refused:
        await appointments.reschedule(db, b.admin_principal, row.id, scheduled_start_at=b.at("16:00"))
    assert refused.value.details[0] == {"field": "scheduled_start_at", "message": refused.value.message,
                                        "current_status": status}
    assert (await reload(db, row)).starts_at == b.at("14:00")
    assert await events(db, row.id) == history and await outbox(db, row.id) == []
