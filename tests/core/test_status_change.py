"""Status changes, called directly: ``lifecycle.change_status`` on stored rows and the staff and clinician use
cases over it. A refusal by the table, the actor or the clock leaves the row and its history untouched; the
effects of CONFIRMED and CANCELLED run in their documented order, inside the change's transaction, and a job they
ask for is enqueued only once it commits. (The tables as pure rules, and the effect registry itself, are in
tests/lifecycle/.)"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from clinicops.appointments import booking
from clinicops.appointments import service as appointments
from clinicops.appointments.exceptions import AppointmentNotFound
from clinicops.db import unit_of_work
from clinicops.errors import InvalidTransition, ValidationFailed
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor, change_status
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.payments import checkout
from tests.core.world import events, outbox, reload, templates

MEET_JOB = "clinicops:video.create_meet_link"
UNSET = ("checked_in_at", "started_at", "finished_at", "cancelled_at")


async def _confirmed(db, world, side, *, mode: str = "IN_PERSON", hhmm: str = "10:00"):
    booked = await booking.book(db, organization_id=side.org.id, patient_id=world.shared.id,
                                clinician_id=side.clinician.id, centre_id=side.centre.id, mode=mode,
                                starts_at=side.at(hhmm), source="ADMIN", actor_user_id=side.admin.id,
                                actor=Actor.STAFF, status=S.CONFIRMED)
    return booked.appointment


async def _untouched(db, row, status: str, history: list) -> None:
    await reload(db, row)
    assert row.status == status and all(getattr(row, name) is None for name in UNSET)
    assert await events(db, row.id) == history and await outbox(db, row.id) == []


@pytest.mark.parametrize("to_status, actor, why", [
    (S.CHECKED_IN, Actor.STAFF, "check-in is open from 120 minutes before its start"),
    (S.IN_PROGRESS, Actor.CLINICIAN, "its session can start from 15 minutes before its start"),
    (S.COMPLETED, Actor.CLINICIAN, "it can be completed only once its start time has passed"),
    (S.NO_SHOW, Actor.STAFF, "it can be marked a no-show only once its start time has passed"),
])
async def test_a_clock_refusal_leaves_the_row_and_its_history_untouched(db, world, to_status, actor, why):
    b = world.b
    row = await _confirmed(db, world, b)  # three days ahead
    history = await events(db, row.id)
    with pytest.raises(InvalidTransition) as refused:
        await change_status(db, row, to_status, actor_user_id=b.admin.id, actor=actor)
    assert why in refused.value.message
    assert refused.value.details[0]["current_status"] == "CONFIRMED"
    await _untouched(db, row, "CONFIRMED", history)

    # the same change at a moment the clock allows goes through: the clock was the only reason
    at = {S.CHECKED_IN: -timedelta(hours=1), S.IN_PROGRESS: -timedelta(minutes=10)}.get(to_status, timedelta(0))
    await change_status(db, row, to_status, actor_user_id=b.admin.id, actor=actor, now=row.starts_at + at)
    assert row.status == to_status and (await events(db, row.id))[-1][:3] == ("CONFIRMED", to_status, actor)


async def test_table_and_actor_refusals_through_the_use_cases_leave_everything_untouched(db, world):
    a, b = world.a, world.b
    held = (await booking.book(db, organization_id=b.org.id, patient_id=world.shared.id,
                               clinician_id=b.clinician.id, centre_id=b.centre.id, mode="IN_PERSON",
                               starts_at=b.at("11:00"), source="ADMIN", actor_user_id=b.admin.id,
                               actor=Actor.STAFF, hold_minutes=30)).appointment
    history = await events(db, held.id)
    with pytest.raises(InvalidTransition, match="it must be CONFIRMED first"):
        await appointments.set_status(db, b.admin_principal, held.id, status=S.CHECKED_IN)
    with pytest.raises(InvalidTransition, match="it must be CONFIRMED first"):
        await appointments.start_session(db, b.clinician_principal, held.id)
    with pytest.raises(ValidationFailed) as rescheduled:  # a reschedule is a move, not a status
        await appointments.set_status(db, b.admin_principal, held.id, status=S.RESCHEDULED)
    assert rescheduled.value.details[0]["field"] == "status"
    with pytest.raises(AppointmentNotFound):  # another organization's staff
        await appointments.set_status(db, a.admin_principal, held.id, status=S.CANCELLED)
    with pytest.raises(AppointmentNotFound):  # another clinician's session
        await appointments.start_session(db, a.clinician_principal, held.id)
    await _untouched(db, held, "BOOKED", history)
    assert held.hold_expires_at is not None


async def test_a_clinician_runs_their_own_session(db, world):
    b = world.b
    row = await _confirmed(db, world, b)
    row.starts_at = utcnow().replace(microsecond=0) + timedelta(minutes=5)  # the session opens 15 minutes before
    row.ends_at = row.starts_at + timedelta(minutes=30)
    await db.flush()
    await appointments.start_session(db, b.clinician_principal, row.id)
    await appointments.end_session(db, b.clinician_principal, row.id)
    await reload(db, row)
    assert row.status == "COMPLETED" and row.started_at is not None and row.finished_at >= row.started_at
    assert [e[1:] for e in await events(db, row.id)][1:] == [
        ("IN_PROGRESS", "CLINICIAN", "Session started"), ("COMPLETED", "CLINICIAN", "Session ended")]


@contextmanager
def _statements(engine):
    """The statements sent to PostgreSQL inside the block, in order."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _first(statements: list[str], pattern: str) -> int:
    found = [i for i, s in enumerate(statements) if re.match(pattern, s.lstrip(), re.IGNORECASE)]
    assert found, pattern
    return found[0]


async def test_cancelling_records_the_change_then_the_refund_then_the_message(db, world, engine):
    a = world.a
    row = (await booking.book(db, organization_id=a.org.id, patient_id=world.shared.id,
                              clinician_id=a.clinician.id, centre_id=a.centre.id, mode="IN_PERSON",
                              starts_at=a.at("10:00"), source="ADMIN", actor_user_id=a.admin.id,
                              actor=Actor.STAFF)).appointment
    paid = await checkout.confirm_direct(db, a.desk_principal, appointment_id=row.id, method="CARD", notes=None)
    with _statements(engine) as sent:
        await change_status(db, row, S.CANCELLED, actor_user_id=a.admin.id, actor=Actor.STAFF, reason="Closed")
    change = _first(sent, r"INSERT INTO appointment_events")
    refund = _first(sent, r"UPDATE payments SET")
    message = _first(sent, r"INSERT INTO outbox_messages")
    assert change < refund < message
    assert (await reload(db, paid.payment)).refund_eligible_paise == 1500_00
    assert (await templates(db, row.id))[-1] == "appointment_cancelled"


async def test_confirming_online_asks_for_its_meeting_only_once_committed(db, world, queued_jobs):
    b = world.b
    held = (await booking.book(db, organization_id=b.org.id, patient_id=world.shared.id,
                               clinician_id=b.clinician.id, centre_id=b.centre.id, mode="ONLINE",
                               starts_at=b.at("14:00"), source="ADMIN", actor_user_id=b.admin.id,
                               actor=Actor.STAFF, hold_minutes=30)).appointment

    with pytest.raises(RuntimeError):
        async with unit_of_work() as session:
            await appointments.set_status(session, b.admin_principal, held.id, status=S.CONFIRMED,
                                          reason="Paid at the desk")
            assert await templates(session, held.id) == ["booking_confirmation"]
            raise RuntimeError("the request fails before its commit")
    assert [name for name, _ in queued_jobs() if name == MEET_JOB] == []
    await _untouched(db, held, "BOOKED", [(None, "BOOKED", "STAFF", "Booked")])

    async with unit_of_work() as session:
        await appointments.set_status(session, b.admin_principal, held.id, status=S.CONFIRMED,
                                      reason="Paid at the desk")
    assert [(name, args) for name, args in queued_jobs() if name == MEET_JOB] == [
        (MEET_JOB, {"appointment_id": held.id})]
    await reload(db, held)
    assert (held.status, held.hold_expires_at) == ("CONFIRMED", None)
    assert await templates(db, held.id) == ["booking_confirmation"]
    assert (await events(db, held.id))[-1] == ("BOOKED", "CONFIRMED", "STAFF", "Paid at the desk")
