"""An ONLINE appointment gets its Meet link when confirmed, by a job: a provider failure never fails the
booking, the retry adds the link, and the link goes to the patient and the clinician by WhatsApp."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from clinicops import jobs
from clinicops import lifecycle
from clinicops.appointments.models import Appointment
from clinicops.db import unit_of_work
from clinicops.kit import phones
from clinicops.kit.timezones import utcnow
from clinicops.messaging.models import OutboxMessage
from clinicops.video import service
from tests.builders.messaging import make_booking
from tests.video.conftest import EVENTS_URL, meet_event


async def confirm(appointment_id: int) -> None:
    """Confirm as the payment flow does: one unit of work, the status machine, nothing else."""
    async with unit_of_work() as session:
        appointment = await session.get(Appointment, appointment_id)
        await lifecycle.change_status(session, appointment, "CONFIRMED", actor_user_id=None, actor="PAYMENT")


async def reload(db, appointment_id: int) -> Appointment:
    return (await db.execute(select(Appointment).where(Appointment.id == appointment_id)
                             .execution_options(populate_existing=True))).scalar_one()


async def link_messages(db, appointment_id: int) -> list[OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id,
        OutboxMessage.template.in_(("online_consultation_link", "online_consultation_link_clinician"))))
    return list(rows.scalars())


def make_retries_due() -> int:
    """Time travel for the in-memory queue: jobs waiting for their retry become due now."""
    moved = 0
    for job in jobs.get_app().connector.jobs.values():
        if job["status"] == "todo" and job["scheduled_at"] is not None:
            job["scheduled_at"] = utcnow()
            moved += 1
    return moved


async def test_meet_failure_keeps_the_booking_and_the_retry_adds_the_link(db, google, run_jobs):
    booking = await make_booking(db, mode="ONLINE", status="BOOKED")
    appointment_id = booking.appointment.id
    events = google.post(EVENTS_URL).mock(side_effect=[
        httpx.Response(503, json={"error": {"message": "backend error"}}),
        httpx.Response(200, json=meet_event("evt-1", "https://meet.google.com/kqz-rbtw-aaa"))])

    await confirm(appointment_id)
    await run_jobs()
    after_failure = await reload(db, appointment_id)
    assert after_failure.status == "CONFIRMED" and after_failure.meet_link is None
    assert events.call_count == 1 and await link_messages(db, appointment_id) == []

    assert make_retries_due() == 1
    await run_jobs()
    linked = await reload(db, appointment_id)
    assert linked.status == "CONFIRMED" and events.call_count == 2
    assert linked.meet_link == "https://meet.google.com/kqz-rbtw-aaa" and linked.meet_event_id == "evt-1"
    sent = {(m.template, m.recipient) for m in await link_messages(db, appointment_id)}
    assert sent == {("online_consultation_link", booking.patient.phone),
                    ("online_consultation_link_clinician", booking.clinician_user.phone)}
    first, second = (r.request for r in events.calls)
    assert first.content == second.content  # the same event id and request id: a retry is not a new meeting


async def test_offline_link_is_on_the_invalid_domain_and_shows_in_dev_messages(db, client, run_jobs):
    booking = await make_booking(db, mode="ONLINE", status="BOOKED")
    await confirm(booking.appointment.id)
    await run_jobs()
    link = (await reload(db, booking.appointment.id)).meet_link
    assert link.startswith("https://meet.clinicops.invalid/")
    shown = (await client.get("/api/dev/messages", params={"phone": phones.wire(booking.patient.phone)})).json()
    templates = {m["template"]: m for m in shown["data"]}
    assert set(templates) == {"booking_confirmation", "online_consultation_link"}
    assert link in templates["online_consultation_link"]["body"]
    assert all(m["status"] == "SENT" for m in shown["data"])


async def test_confirming_in_person_or_an_existing_link_creates_no_job(db, queued_jobs):
    in_person = await make_booking(db, status="BOOKED")
    online = await make_booking(db, mode="ONLINE", status="BOOKED")
    online.appointment.meet_link = "https://meet.google.com/own-room-abc"
    await db.flush()
    await confirm(in_person.appointment.id)
    await confirm(online.appointment.id)
    assert [name for name, _ in queued_jobs() if name.endswith("create_meet_link")] == []
    assert len(await link_messages(db, online.appointment.id)) == 2


async def test_the_job_skips_cancelled_and_linked_appointments(db):
    cancelled = await make_booking(db, mode="ONLINE", status="CANCELLED")
    assert await service.create_link_for(db, cancelled.appointment.id) is None
    linked = await make_booking(db, mode="ONLINE")
    linked.appointment.meet_link = "https://meet.google.com/already-here"
    await db.flush()
    assert await service.create_link_for(db, linked.appointment.id) == "https://meet.google.com/already-here"


async def test_a_moved_online_appointment_gets_a_new_meeting_and_a_staff_room_stays(db, run_jobs, queued_jobs):
    booking = await make_booking(db, mode="ONLINE", status="BOOKED")
    appointment_id = booking.appointment.id
    await confirm(appointment_id)
    await run_jobs()
    old = await reload(db, appointment_id)
    old_link, old_event = old.meet_link, old.meet_event_id
    assert old_link and old_event
    await move_a_day_later(appointment_id)
    cleared = await reload(db, appointment_id)
    assert cleared.meet_link is None and cleared.meet_event_id is None
    assert [name for name, _ in queued_jobs()] == ["clinicops:video.create_meet_link"]
    await run_jobs()
    moved = await reload(db, appointment_id)
    assert moved.meet_link and moved.meet_link != old_link and moved.meet_event_id != old_event
    sent = [m for m in await link_messages(db, appointment_id) if m.template == "online_consultation_link"]
    assert {m.body.split(": ")[-1] for m in sent} == {old_link, moved.meet_link}

    own = await make_booking(db, mode="ONLINE")
    own.appointment.meet_link = "https://meet.google.com/own-room-abc"
    await db.flush()
    await move_a_day_later(own.appointment.id)
    assert (await reload(db, own.appointment.id)).meet_link == "https://meet.google.com/own-room-abc"
    assert [name for name, _ in queued_jobs()] == []


async def move_a_day_later(appointment_id: int) -> None:
    """What a reschedule does to the row (booking.move: same id, new time), then the video domain's reaction."""
    async with unit_of_work() as session:
        appointment = await session.get(Appointment, appointment_id)
        appointment.starts_at += timedelta(days=1)
        appointment.ends_at += timedelta(days=1)
        await session.flush()
        await service.on_rescheduled(session, appointment)
