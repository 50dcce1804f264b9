"""The appointment status machine. Every change goes through :func:`change_status` (invariant 9).

Three rules decide whether a change is allowed, all here and nowhere else:

- the transition table (:data:`TABLE`): a BOOKED appointment is unpaid and unconfirmed, so it can only be
  confirmed (payment, or a staff confirmation), cancelled or marked a no-show; check-in, the session and completion
  need CONFIRMED first. A reschedule is not a status: the appointment keeps its status and moves (booking.move).
- who acts: each move names the actors that may make it (a patient only cancels, a clinician runs their session,
  a lapsed hold or a failed payment only cancels a BOOKED appointment ...).
- the clock (:func:`timing_refusal`), for appointments with a scheduled time: check-in opens
  :data:`CHECK_IN_OPENS_BEFORE` before the start, the session (IN_PROGRESS) :data:`SESSION_OPENS_BEFORE` before it,
  and both close :data:`SESSION_CLOSES_AFTER_END` after the scheduled end; COMPLETED (other than ending a session
  in progress) and NO_SHOW only once the start has passed.
A refusal is 409 INVALID_TRANSITION naming the current status (``details[0].current_status``; the hospital surface
says ``currentStatus``).

What a change causes in other domains (a refund note, messages, a Meet link) is registered with
:mod:`clinicops.lifecycle.effects` by those domains and runs in the same transaction, so it happens exactly when
the change commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES, Appointment, AppointmentEvent
from clinicops.errors import InvalidTransition
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import effects
from clinicops.lifecycle.effects import StatusChange
from clinicops.lifecycle.statuses import Actor
from clinicops.lifecycle.statuses import AppointmentStatus as S
from clinicops.lifecycle.table import Table

A = Actor
STAFF = (A.STAFF, A.USER)
SESSION = (*STAFF, A.CLINICIAN)

TABLE = Table.of(S, {
    (S.BOOKED, S.CONFIRMED): (*STAFF, A.PAYMENT),
    (S.BOOKED, S.CANCELLED): (*STAFF, A.PATIENT, A.PAYMENT, A.HOLD_EXPIRY, A.SYSTEM),
    (S.BOOKED, S.NO_SHOW): STAFF,
    (S.CONFIRMED, S.CHECKED_IN): STAFF,
    (S.CONFIRMED, S.IN_PROGRESS): SESSION,
    (S.CONFIRMED, S.COMPLETED): SESSION,
    (S.CONFIRMED, S.NO_SHOW): STAFF,
    (S.CONFIRMED, S.CANCELLED): (*STAFF, A.PATIENT, A.SYSTEM),
    (S.CHECKED_IN, S.IN_PROGRESS): SESSION,
    (S.CHECKED_IN, S.COMPLETED): SESSION,
    (S.CHECKED_IN, S.NO_SHOW): STAFF,
    (S.CHECKED_IN, S.CANCELLED): (*STAFF, A.SYSTEM),
    (S.IN_PROGRESS, S.COMPLETED): SESSION,
})
ALLOWED: dict[str, frozenset[str]] = {status: TABLE.next_of(status) for status in S}
TERMINAL = TABLE.terminal
# A reschedule moves the appointment to a new time and keeps its status (booking.move); only these may move.
MOVABLE = frozenset({S.BOOKED, S.CONFIRMED})
# Statuses that no longer hold the clinician's time: the schema's own list (the exclusion constraint reads it).
RELEASED = frozenset(RELEASED_STATUSES)
ACTIVE_STATUSES = frozenset(S) - RELEASED
_NEEDS_CONFIRMATION = frozenset({S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED})

CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
SESSION_OPENS_BEFORE = timedelta(minutes=15)
# A clinician running late may still start (or check in) an appointment this long after its scheduled end.
SESSION_CLOSES_AFTER_END = timedelta(minutes=60)


def can_change(from_status: str, to_status: str) -> bool:
    return TABLE.allows(from_status, to_status)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def timing_refusal(appointment: Appointment, to_status: str, now: datetime) -> str | None:
    """Why the clock forbids moving ``appointment`` to ``to_status`` now (None: it does not)."""
    starts_at, ends_at = appointment.starts_at, appointment.ends_at
    if starts_at is None:
        return None  # a walk-in token has no scheduled time; its queue orders it
    closes_at = (ends_at or starts_at) + SESSION_CLOSES_AFTER_END
    until = f"until {_minutes(SESSION_CLOSES_AFTER_END)} minutes after its scheduled end"
    if to_status == S.CHECKED_IN and not starts_at - CHECK_IN_OPENS_BEFORE <= now <= closes_at:
        return f"check-in is open from {_minutes(CHECK_IN_OPENS_BEFORE)} minutes before its start {until}"
    if to_status == S.IN_PROGRESS and not starts_at - SESSION_OPENS_BEFORE <= now <= closes_at:
        return f"its session can start from {_minutes(SESSION_OPENS_BEFORE)} minutes before its start {until}"
    if to_status == S.COMPLETED and appointment.status != S.IN_PROGRESS and now < starts_at:
        return "it can be completed only once its start time has passed"
    if to_status == S.NO_SHOW and now < starts_at:
        return "it can be marked a no-show only once its start time has passed"
    return None


def refusal(appointment: Appointment, to_status: str, now: datetime,
            actor: str = Actor.STAFF) -> InvalidTransition | None:
    """The 409 for a change the table, the actor or the clock forbids, naming the current status; None when
    allowed."""
    from_status = appointment.status
    if from_status == S.BOOKED and to_status in _NEEDS_CONFIRMATION:
        why: str | None = "it must be CONFIRMED first (paid, or confirmed by staff)"
    else:
        why = TABLE.refusal(from_status, to_status, actor) or timing_refusal(appointment, to_status, now)
    if why is None:
        return None
    message = f"The appointment is {from_status}; it cannot become {to_status}: {why}"
    detail = {"field": "status", "message": message, "current_status": from_status, "requested_status": to_status}
    if appointment.starts_at is not None:
        detail["scheduled_start_at"] = appointment.starts_at.isoformat()
    return InvalidTransition(message, details=[detail])


def move_refusal(appointment: Appointment) -> InvalidTransition | None:
    """The 409 for moving an appointment that is past moving (checked in, in progress, finished, cancelled)."""
    if appointment.status in MOVABLE and appointment.starts_at is not None:
        return None
    message = (f"The appointment is {appointment.status}; it cannot be rescheduled" if appointment.starts_at
               else "A walk-in token has no scheduled time to move")
    return InvalidTransition(message, details=[{"field": "scheduled_start_at", "message": message,
                                                "current_status": appointment.status}])


async def record_event(session: AsyncSession, appointment: Appointment, *, from_status: str | None, to_status: str,
                       actor_user_id: int | None, actor: str, reason: str | None) -> None:
    """One line of the status history (a booking, a change, or a move: same status, both times in the reason)."""
    session.add(AppointmentEvent(organization_id=appointment.organization_id, appointment_id=appointment.id,
                                 from_status=str(from_status) if from_status else None, to_status=str(to_status),
                                 actor_user_id=actor_user_id,
                                 actor=Actor(actor).value, reason=reason))


async def change_status(session: AsyncSession, appointment: Appointment, to_status: str, *,
                        actor_user_id: int | None, actor: str = Actor.USER, reason: str | None = None,
                        notify: bool = True, now: datetime | None = None) -> Appointment:
    """Move ``appointment`` to ``to_status`` (409 INVALID_TRANSITION if the table, the actor or the clock forbids
    it), record it, then run the registered effects of the new status (``notify=False``: none).

    ``actor`` says who acted (:class:`Actor`): ``STAFF``, ``CLINICIAN``, ``PATIENT``, ``PAYMENT``,
    ``HOLD_EXPIRY``... The caller must hold the row (``SELECT … FOR UPDATE``) when racing writers are possible.
    """
    from_status, actor = appointment.status, Actor(actor)
    if from_status == to_status:
        return appointment
    now = now or utcnow()
    refused = refusal(appointment, to_status, now, actor)
    if refused is not None:
        raise refused
    to_status = S(to_status)
    appointment.status = to_status.value
    if to_status == S.CANCELLED:
        appointment.cancelled_at = now
        appointment.cancellation_reason = reason
        appointment.cancelled_by_user_id = actor_user_id
        appointment.hold_expires_at = None
    elif to_status == S.CONFIRMED:
        appointment.hold_expires_at = None
    elif to_status == S.IN_PROGRESS:
        appointment.started_at = appointment.started_at or now
    elif to_status == S.COMPLETED:
        appointment.finished_at = appointment.finished_at or now
    elif to_status == S.CHECKED_IN:
        appointment.checked_in_at = appointment.checked_in_at or now
    await record_event(session, appointment, from_status=from_status, to_status=to_status,
                       actor_user_id=actor_user_id, actor=actor, reason=reason)
    await session.flush()
    if notify:
        await effects.status_changed(session, StatusChange(appointment, from_status, to_status, actor, reason))
    return appointment
