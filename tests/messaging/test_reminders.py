"""Reminders 24 h and 2 h ahead: only for appointments holding their slot, never two of one kind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from clinicops.kit.timezones import utcnow
from clinicops.messaging import reminders
from clinicops.messaging.models import OutboxMessage
from clinicops.messaging.tasks import send_reminders
from tests.builders.messaging import make_booking


async def reminder_rows(db, appointment_id: int | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.template == "appointment_reminder")
    if appointment_id is not None:
        stmt = stmt.where(OutboxMessage.appointment_id == appointment_id)
    return list((await db.execute(stmt.execution_options(populate_existing=True))).scalars())


async def test_due_reminders_are_queued_once_and_only_for_slot_holders(db):
    now = utcnow()
    long_ago = now - timedelta(days=5)
    in_24h = await make_booking(db, starts_at=now + timedelta(hours=23, minutes=50), created_at=long_ago)
    in_2h = await make_booking(db, status="BOOKED", starts_at=now + timedelta(hours=1, minutes=50),
                               created_at=long_ago)
    held = await make_booking(db, status="BOOKED", hold_expires_at=now + timedelta(minutes=10),
                              starts_at=now + timedelta(hours=23, minutes=50), created_at=long_ago)
    cancelled = await make_booking(db, status="CANCELLED", starts_at=now + timedelta(hours=23, minutes=55),
                                   created_at=long_ago)
    booked_late = await make_booking(db, starts_at=now + timedelta(hours=23, minutes=50))
    far = await make_booking(db, starts_at=now + timedelta(hours=30), created_at=long_ago)

    assert await reminders.queue_due_reminders(db, now=now) == 2
    assert await reminders.queue_due_reminders(db, now=now + timedelta(minutes=1)) == 0
    rows = await reminder_rows(db)
    assert sorted(r.appointment_id for r in rows) == sorted([in_24h.appointment.id, in_2h.appointment.id])
    by_id = {r.appointment_id: r for r in rows}
    assert by_id[in_24h.appointment.id].params["lead"] == "24 hours"
    assert by_id[in_2h.appointment.id].params["lead"] == "2 hours"
    assert by_id[in_2h.appointment.id].dedupe_key.startswith(f"reminder:2h:{in_2h.appointment.id}:")
    for other in (held, cancelled, booked_late, far):
        assert await reminder_rows(db, other.appointment.id) == []


async def test_online_reminder_carries_the_link(db):
    now = utcnow()
    booking = await make_booking(db, mode="ONLINE", starts_at=now + timedelta(hours=1, minutes=30),
                                 created_at=now - timedelta(days=2))
    booking.appointment.meet_link = "https://meet.clinicops.invalid/abc-defg-hij"
    await db.flush()
    await reminders.queue_due_reminders(db, now=now)
    [row] = await reminder_rows(db, booking.appointment.id)
    assert "online (Google Meet): https://meet.clinicops.invalid/abc-defg-hij" in row.body
    assert booking.centre.name not in row.body


async def test_reminder_job_run_twice_and_concurrently_queues_one(committed):
    factory, _ = committed
    now = utcnow()
    async with factory() as session:
        booking = await make_booking(session, starts_at=now + timedelta(hours=23, minutes=45),
                                     created_at=now - timedelta(days=3))
        await session.commit()
    appointment_id = booking.appointment.id

    await asyncio.gather(*(send_reminders(timestamp=0) for _ in range(4)))
    await send_reminders(timestamp=0)

    async with factory() as session:
        count = (await session.execute(
            select(func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.appointment_id == appointment_id,
                   OutboxMessage.template == "appointment_reminder"))).scalar_one()
    assert count == 1
