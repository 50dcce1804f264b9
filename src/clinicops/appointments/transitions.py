"""The appointment status machine. Every change goes through :func:`change_status` (invariant 9).

Two rules decide whether a change is allowed, both here and nowhere else:

- the transition table (:data:`ALLOWED`): a BOOKED appointment is unpaid and unconfirmed, so it can only be
  confirmed (payment, or a staff confirmation), cancelled or marked a no-show; check-in, the session and completion
  need CONFIRMED first. A reschedule is not a status: the appointment keeps its status and moves (booking.move).
- the clock (:func:`timing_refusal`), for appointments with a scheduled time: check-in opens
  :data:`CHECK_IN_OPENS_BEFORE` before the start, the session (IN_PROGRESS) :data:`SESSION_OPENS_BEFORE` before it,
  and both close :data:`SESSION_CLOSES_AFTER_END` after the scheduled end; COMPLETED (other than ending a session
  in progress) and NO_SHOW only once the start has passed.
A refusal is 409 INVALID_TRANSITION naming the current status (``details[0].currentStatus``).

Side effects of a change (messages, Meet links) are written in the same transaction, through the outbox and
the job queue, so they happen exactly when the change commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.errors import InvalidTransition
from clinicops.kit.timezones import utcnow

ALLOWED: dict[str, frozenset[str]] = {
    "BOOKED": frozenset({"CONFIRMED", "CANCELLED", "NO_SHOW"}),
    "CONFIRMED": frozenset({"CHECKED_IN", "IN_PROGRESS", "COMPLETED", "NO_SHOW", "CANCELLED"}),
    "CHECKED_IN": frozenset({"IN_PROGRESS", "COMPLETED", "NO_SHOW", "CANCELLED"}),
    "IN_PROGRESS": frozenset({"COMPLETED"}),
    "COMPLETED": frozenset(),
    "CANCELLED": frozenset(),
    "RESCHEDULED": frozenset(),  # rows moved before reschedules became in-place keep this terminal status
    "NO_SHOW": frozenset(),
}
CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
SESSION_OPENS_BEFORE = timedelta(minutes=15)
# A clinician running late may still start (or check in) an appointment this long after its scheduled end.
SESSION_CLOSES_AFTER_END = timedelta(minutes=60)
_NEEDS_CONFIRMATION = frozenset({"CHECKED_IN", "IN_PROGRESS", "COMPLETED"})
# A reschedule moves the appointment to a new time and keeps its status (booking.move); only these may move.
MOVABLE = frozenset({"BOOKED", "CONFIRMED"})
TERMINAL = frozenset(s for s, nxt in ALLOWED.items() if not nxt)


def can_change(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, frozenset())


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def timing_refusal(appointment: Appointment, to_status: str, now: datetime) -> str | None:
    """Why the clock forbids moving ``appointment`` to ``to_status`` now (None: it does not)."""
    starts_at, ends_at = appointment.starts_at, appointment.ends_at
    if starts_at is None:
        return None  # a walk-in token has no scheduled time; its queue orders it
    closes_at = (ends_at or starts_at) + SESSION_CLOSES_AFTER_END
    until = f"until {_minutes(SESSION_CLOSES_AFTER_END)} minutes after its scheduled end"
    if to_status == "CHECKED_IN" and not starts_at - CHECK_IN_OPENS_BEFORE <= now <= closes_at:
        return f"check-in is open from {_minutes(CHECK_IN_OPENS_BEFORE)} minutes before its start {until}"
    if to_status == "IN_PROGRESS" and not starts_at - SESSION_OPENS_BEFORE <= now <= closes_at:
        return f"its session can start from {_minutes(SESSION_OPENS_BEFORE)} minutes before its start {until}"
    if to_status == "COMPLETED" and appointment.status != "IN_PROGRESS" and now < starts_at:
        return "it can be completed only once its start time has passed"
    if to_status == "NO_SHOW" and now < starts_at:
        return "it can be marked a no-show only once its start time has passed"
    return None


def refusal(appointment: Appointment, to_status: str, now: datetime) -> InvalidTransition | None:
    """The 409 for a change the table or the clock forbids, naming the current status; None when allowed."""
    from_status = appointment.status
    if not can_change(from_status, to_status):
        why = ("it must be CONFIRMED first (paid, or confirmed by staff)"
               if from_status == "BOOKED" and to_status in _NEEDS_CONFIRMATION else "that change is not allowed")
    else:
        why = timing_refusal(appointment, to_status, now)
        if why is None:
            return None
    message = f"The appointment is {from_status}; it cannot become {to_status}: {why}"
    detail = {"field": "status", "message": message, "currentStatus": from_status, "requestedStatus": to_status}
    if appointment.starts_at is not None:
        detail["scheduledStartAt"] = appointment.starts_at.isoformat()
    return InvalidTransition(message, details=[detail])


def move_refusal(appointment: Appointment) -> InvalidTransition | None:
    """The 409 for moving an appointment that is past moving (checked in, in progress, finished, cancelled)."""
    if appointment.status in MOVABLE and appointment.starts_at is not None:
        return None
    message = (f"The appointment is {appointment.status}; it cannot be rescheduled" if appointment.starts_at
               else "A walk-in token has no scheduled time to move")
    return InvalidTransition(message, details=[{"field": "scheduledStartAt", "message": message,
                                                "currentStatus": appointment.status}])


async def record_event(session: AsyncSession, appointment: Appointment, *, from_status: str | None, to_status: str,
                       actor_user_id: int | None, actor: str, reason: str | None) -> None:
    session.add(AppointmentEvent(organization_id=appointment.organization_id, appointment_id=appointment.id,
                                 from_status=from_status, to_status=to_status, actor_user_id=actor_user_id,
                                 actor=actor, reason=reason))


async def change_status(session: AsyncSession, appointment: Appointment, to_status: str, *,
                        actor_user_id: int | None, actor: str = "USER", reason: str | None = None,
                        notify: bool = True, now: datetime | None = None) -> Appointment:
    """Move ``appointment`` to ``to_status`` (409 INVALID_TRANSITION if the table or the clock forbids it).

    ``actor`` says who acted when there is no user: ``SYSTEM``, ``PAYMENT``, ``PATIENT``, ``HOLD_EXPIRY``...
    The caller must hold the row (``SELECT … FOR UPDATE``) when racing writers are possible.
    """
    from_status = appointment.status
    if from_status == to_status:
        return appointment
    now = now or utcnow()
    refused = refusal(appointment, to_status, now)
    if refused is not None:
        raise refused
    appointment.status = to_status
    if to_status == "CANCELLED":
        appointment.cancelled_at = now
        appointment.cancellation_reason = reason
        appointment.cancelled_by_user_id = actor_user_id
        appointment.hold_expires_at = None
    elif to_status == "CONFIRMED":
        appointment.hold_expires_at = None
    elif to_status == "IN_PROGRESS":
        appointment.started_at = appointment.started_at or now
    elif to_status == "COMPLETED":
        appointment.finished_at = appointment.finished_at or now
    elif to_status == "CHECKED_IN":
        appointment.checked_in_at = appointment.checked_in_at or now
    await record_event(session, appointment, from_status=from_status, to_status=to_status,
                       actor_user_id=actor_user_id, actor=actor, reason=reason)
    await session.flush()
    if notify:
        await _after_change(session, appointment, from_status, to_status, reason)
    return appointment


async def _after_change(session: AsyncSession, appointment: Appointment, from_status: str, to_status: str,
                        reason: str | None) -> None:
    from clinicops.messaging import notify
    from clinicops.payments import refunds
    from clinicops.video import service as video

    if to_status == "CONFIRMED":
        await video.on_confirmed(session, appointment)
        await notify.appointment_confirmed(session, appointment)
    elif to_status == "CANCELLED":
        await refunds.on_cancelled(session, appointment)
        await notify.appointment_cancelled(session, appointment, reason)
