"""The transition tables: which status may follow which, who may make the move, and when."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from clinicops.appointments.models import ACTIVE_PREDICATE, RELEASED_STATUSES, STATUSES, Appointment, AppointmentEvent
from clinicops.errors import InvalidTransition
from clinicops.lifecycle import RELEASED, Actor, change_status, tokens
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.lifecycle import TokenStatus as T
from clinicops.lifecycle import appointments as machine
from tests.builders.messaging import make_booking

A = Actor
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _appointment(status: str, *, starts_in: timedelta = timedelta(minutes=5), minutes: int = 30) -> Appointment:
    """An appointment starting ``starts_in`` after NOW (not saved: the rules are pure)."""
    starts_at = NOW + starts_in
    return Appointment(status=status, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes))


def _why(appointment: Appointment, to_status: str, actor: Actor = A.STAFF, now: datetime = NOW) -> str | None:
    refused = machine.refusal(appointment, to_status, now, actor)
    return None if refused is None else refused.message


def test_the_statuses_are_the_schemas():
    """The enum and the stored text agree: every status is allowed by the check constraint, and what frees the
    clinician's time is what the exclusion constraint reads."""
    assert set(S) <= set(STATUSES)
    assert RELEASED == set(RELEASED_STATUSES)
    assert all(f"'{status}'" in ACTIVE_PREDICATE for status in RELEASED)
    assert machine.ACTIVE_STATUSES == {S.BOOKED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED}


@pytest.mark.parametrize("from_status, to_status, actor, starts_in", [
    (S.BOOKED, S.CONFIRMED, A.PAYMENT, timedelta(days=1)),
    (S.BOOKED, S.CONFIRMED, A.STAFF, timedelta(days=1)),
    (S.BOOKED, S.CONFIRMED, A.USER, timedelta(days=1)),  # a desk payment recorded by a signed-in user
    (S.BOOKED, S.CANCELLED, A.HOLD_EXPIRY, timedelta(days=1)),
    (S.BOOKED, S.CANCELLED, A.PAYMENT, timedelta(days=1)),
    (S.BOOKED, S.CANCELLED, A.PATIENT, timedelta(days=1)),
    (S.CONFIRMED, S.CANCELLED, A.PATIENT, timedelta(days=1)),
    (S.CONFIRMED, S.CANCELLED, A.SYSTEM, timedelta(days=1)),
    (S.CONFIRMED, S.CHECKED_IN, A.STAFF, timedelta(hours=1)),
    (S.CONFIRMED, S.IN_PROGRESS, A.CLINICIAN, timedelta(minutes=10)),
    (S.CHECKED_IN, S.IN_PROGRESS, A.CLINICIAN, timedelta(minutes=-5)),
    (S.CONFIRMED, S.COMPLETED, A.CLINICIAN, timedelta(minutes=-5)),
    (S.IN_PROGRESS, S.COMPLETED, A.CLINICIAN, timedelta(minutes=5)),  # ending a session that started early
    (S.CONFIRMED, S.NO_SHOW, A.STAFF, timedelta(minutes=-20)),
    (S.BOOKED, S.NO_SHOW, A.STAFF, timedelta(minutes=-20)),
])
def test_allowed_moves(from_status, to_status, actor, starts_in):
    assert _why(_appointment(from_status, starts_in=starts_in), to_status, actor) is None


@pytest.mark.parametrize("from_status, to_status, actor, why", [
    (S.BOOKED, S.CHECKED_IN, A.STAFF, "it must be CONFIRMED first (paid, or confirmed by staff)"),
    (S.BOOKED, S.IN_PROGRESS, A.CLINICIAN, "it must be CONFIRMED first (paid, or confirmed by staff)"),
    (S.BOOKED, S.COMPLETED, A.STAFF, "it must be CONFIRMED first (paid, or confirmed by staff)"),
    (S.COMPLETED, S.CANCELLED, A.STAFF, "that change is not allowed"),
    (S.CANCELLED, S.CONFIRMED, A.PAYMENT, "that change is not allowed"),  # a late payment re-books instead
    (S.RESCHEDULED, S.CONFIRMED, A.STAFF, "that change is not allowed"),
    (S.IN_PROGRESS, S.CANCELLED, A.STAFF, "that change is not allowed"),
    (S.CONFIRMED, "WAITING", A.STAFF, "that change is not allowed"),  # a token status is no appointment's
    (S.BOOKED, S.CONFIRMED, A.PATIENT, "PATIENT may not make that change"),
    (S.BOOKED, S.CONFIRMED, A.HOLD_EXPIRY, "HOLD_EXPIRY may not make that change"),
    (S.CONFIRMED, S.CANCELLED, A.HOLD_EXPIRY, "HOLD_EXPIRY may not make that change"),  # a paid slot is kept
    (S.CONFIRMED, S.CANCELLED, A.PAYMENT, "PAYMENT may not make that change"),
    (S.CONFIRMED, S.CHECKED_IN, A.CLINICIAN, "CLINICIAN may not make that change"),
    (S.CONFIRMED, S.NO_SHOW, A.PATIENT, "PATIENT may not make that change"),
    (S.CHECKED_IN, S.CANCELLED, A.PATIENT, "PATIENT may not make that change"),
])
def test_refused_moves_name_the_reason(from_status, to_status, actor, why):
    message = _why(_appointment(from_status, starts_in=timedelta(minutes=-5)), to_status, actor)
    assert message == f"The appointment is {from_status}; it cannot become {to_status}: {why}"


@pytest.mark.parametrize("to_status, starts_in, allowed", [
    # check-in: from 2 hours before the start until 60 minutes after the scheduled end (30 minutes long)
    (S.CHECKED_IN, timedelta(hours=2, minutes=1), False),
    (S.CHECKED_IN, timedelta(hours=2), True),
    (S.CHECKED_IN, -timedelta(minutes=90), True),
    (S.CHECKED_IN, -timedelta(minutes=91), False),
    # the session: from 15 minutes before the start, closing like check-in
    (S.IN_PROGRESS, timedelta(minutes=16), False),
    (S.IN_PROGRESS, timedelta(minutes=15), True),
    (S.IN_PROGRESS, -timedelta(minutes=91), False),
    # completion and no-show: only once the start has passed
    (S.COMPLETED, timedelta(minutes=1), False),
    (S.COMPLETED, timedelta(0), True),
    (S.NO_SHOW, timedelta(minutes=1), False),
    (S.NO_SHOW, -timedelta(minutes=1), True),
])
def test_the_clock(to_status, starts_in, allowed):
    why = _why(_appointment(S.CONFIRMED, starts_in=starts_in), to_status)
    assert (why is None) is allowed, why


def test_a_walk_in_without_a_time_has_no_clock():
    walk_in = Appointment(status=S.CONFIRMED, starts_at=None, ends_at=None)
    assert _why(walk_in, S.NO_SHOW) is None and _why(walk_in, S.CHECKED_IN) is None


def test_a_refusal_is_409_naming_the_current_status():
    appointment = _appointment(S.BOOKED)
    refused = machine.refusal(appointment, S.CHECKED_IN, NOW, A.STAFF)
    assert isinstance(refused, InvalidTransition) and refused.status == 409 and refused.code == "INVALID_TRANSITION"
    assert refused.details == [{
        "field": "status", "message": refused.message, "current_status": "BOOKED", "requested_status": "CHECKED_IN",
        "scheduled_start_at": appointment.starts_at.isoformat()}]


@pytest.mark.parametrize("status, movable", [(s, s in (S.BOOKED, S.CONFIRMED)) for s in S])
def test_only_booked_or_confirmed_appointments_move(status, movable):
    assert (machine.move_refusal(_appointment(status)) is None) is movable


def test_every_move_has_an_actor_and_every_status_can_finish():
    for table in (machine.TABLE, tokens.TABLE):
        assert all(actors for actors in table.moves.values())
        for status in table.statuses:
            seen, todo = set(), [status]
            while todo:
                current = todo.pop()
                seen.add(current)
                todo += [s for s in table.next_of(current) if s not in seen]
            assert seen & table.terminal, status


async def test_a_change_is_recorded_with_actor_reason_and_time(db):
    booking = await make_booking(db, status=S.BOOKED)
    appointment = booking.appointment
    await change_status(db, appointment, S.CONFIRMED, actor_user_id=None, actor=A.PAYMENT, reason="Paid")
    assert appointment.status == "CONFIRMED" and appointment.hold_expires_at is None
    await change_status(db, appointment, S.CANCELLED, actor_user_id=booking.clinician_user.id, actor=A.STAFF,
                        reason="Doctor on leave")
    assert appointment.cancelled_at is not None and appointment.cancellation_reason == "Doctor on leave"
    assert appointment.cancelled_by_user_id == booking.clinician_user.id
    events = (await db.execute(select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment.id)
                               .order_by(AppointmentEvent.id))).scalars().all()
    assert [(e.from_status, e.to_status, e.actor, e.reason) for e in events] == [
        ("BOOKED", "CONFIRMED", "PAYMENT", "Paid"), ("CONFIRMED", "CANCELLED", "STAFF", "Doctor on leave")]


async def test_a_refused_change_changes_nothing(db):
    appointment = (await make_booking(db, status=S.CONFIRMED)).appointment
    with pytest.raises(InvalidTransition):
        await change_status(db, appointment, S.CANCELLED, actor_user_id=None, actor=A.HOLD_EXPIRY)
    with pytest.raises(ValueError):
        await change_status(db, appointment, S.CANCELLED, actor_user_id=None, actor="SOMEONE")
    assert appointment.status == "CONFIRMED"
    count = (await db.execute(select(AppointmentEvent).where(
        AppointmentEvent.appointment_id == appointment.id))).scalars().all()
    assert count == []


# --- queue tokens --------------------------------------------------------------------------------------------

def test_a_token_goes_waiting_called_in_consultation_completed():
    path = (T.WAITING, T.CALLED, T.IN_CONSULTATION, T.COMPLETED)
    for frm, to in zip(path, path[1:]):
        assert tokens.refusal(frm, to, A.CLINICIAN) is None
        assert tokens.refusal(frm, to, A.STAFF) is None
    assert tokens.TERMINAL == {T.COMPLETED, T.NO_SHOW, T.CANCELLED}


@pytest.mark.parametrize("from_status, to_status, actor", [
    (T.CALLED, T.SKIPPED, A.CLINICIAN),  # not there when called
    (T.SKIPPED, T.CALLED, A.CLINICIAN),  # called again
    (T.SKIPPED, T.WAITING, A.STAFF),  # back, and in the line again
    (T.SKIPPED, T.NO_SHOW, A.SYSTEM),  # the queue closed without them
    (T.WAITING, T.NO_SHOW, A.SYSTEM),
    (T.WAITING, T.CANCELLED, A.PATIENT),  # left
    (T.CALLED, T.CANCELLED, A.STAFF),
])
def test_token_side_paths(from_status, to_status, actor):
    assert tokens.refusal(from_status, to_status, actor) is None


@pytest.mark.parametrize("from_status, to_status, actor, why", [
    (T.WAITING, T.IN_CONSULTATION, A.CLINICIAN, "that change is not allowed"),  # called first
    (T.COMPLETED, T.WAITING, A.STAFF, "that change is not allowed"),
    (T.IN_CONSULTATION, T.CANCELLED, A.STAFF, "that change is not allowed"),
    (T.CANCELLED, T.CALLED, A.STAFF, "that change is not allowed"),
    (T.WAITING, T.CALLED, A.PATIENT, "PATIENT may not make that change"),
    (T.SKIPPED, T.WAITING, A.CLINICIAN, "CLINICIAN may not make that change"),
    (T.IN_CONSULTATION, T.COMPLETED, A.SYSTEM, "SYSTEM may not make that change"),
])
def test_refused_token_moves(from_status, to_status, actor, why):
    assert tokens.refusal(from_status, to_status, actor) == why
