"""The appointment status machine. Every change goes through :func:`change_status` (invariant 9).

Side effects of a change (messages, Meet links) are written in the same transaction, through the outbox and
the job queue, so they happen exactly when the change commits.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.errors import InvalidTransition
from clinicops.kit.timezones import utcnow

ALLOWED: dict[str, frozenset[str]] = {
    "BOOKED": frozenset({"CONFIRMED", "CANCELLED", "RESCHEDULED", "IN_PROGRESS", "NO_SHOW", "CHECKED_IN"}),
    "CONFIRMED": frozenset({"RESCHEDULED", "COMPLETED", "NO_SHOW", "CANCELLED", "IN_PROGRESS", "CHECKED_IN"}),
    "CHECKED_IN": frozenset({"IN_PROGRESS", "COMPLETED", "NO_SHOW", "CANCELLED"}),
    "IN_PROGRESS": frozenset({"COMPLETED"}),
    "COMPLETED": frozenset(),
    "CANCELLED": frozenset(),
    "RESCHEDULED": frozenset(),
    "NO_SHOW": frozenset(),
}
TERMINAL = frozenset(s for s, nxt in ALLOWED.items() if not nxt)


def can_change(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, frozenset())


async def record_event(session: AsyncSession, appointment: Appointment, *, from_status: str | None, to_status: str,
                       actor_user_id: int | None, actor: str, reason: str | None) -> None:
    session.add(AppointmentEvent(organization_id=appointment.organization_id, appointment_id=appointment.id,
                                 from_status=from_status, to_status=to_status, actor_user_id=actor_user_id,
                                 actor=actor, reason=reason))


async def change_status(session: AsyncSession, appointment: Appointment, to_status: str, *,
                        actor_user_id: int | None, actor: str = "USER", reason: str | None = None,
                        notify: bool = True) -> Appointment:
    """Move ``appointment`` to ``to_status`` (409 INVALID_TRANSITION if the machine forbids it).

    ``actor`` says who acted when there is no user: ``SYSTEM``, ``PAYMENT``, ``PATIENT``, ``HOLD_EXPIRY``...
    The caller must hold the row (``SELECT … FOR UPDATE``) when racing writers are possible.
    """
    from_status = appointment.status
    if from_status == to_status:
        return appointment
    if not can_change(from_status, to_status):
        raise InvalidTransition(f"An appointment cannot go from {from_status} to {to_status}")
    now = utcnow()
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
