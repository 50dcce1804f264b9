"""Appointment reminders 24 hours and 2 hours before the start, at most one of each kind per appointment.

A periodic job (every minute) queues them; the outbox's unique dedupe key ``reminder:<kind>:<id>:<start>``
makes a second or concurrent run harmless. Only appointments that hold their slot for real get one:
CONFIRMED, or BOOKED without a payment hold (a staff booking). A cancellation withdraws a queued reminder
(:func:`clinicops.messaging.notify.appointment_cancelled`). The start instant is part of the key so an
appointment moved to a new time gets reminders for that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.kit.timezones import utcnow
from clinicops.messaging import repository
from clinicops.messaging.notify import ONLINE_PLACE, base_params, to_patient
from clinicops.messaging.notify import place as place_of_appointment


@dataclass(frozen=True)
class ReminderKind:
    label: str
    lead: timedelta
    grace: timedelta  # how late a missed run may still send it
    lead_text: str


KINDS = (
    ReminderKind("24h", timedelta(hours=24), timedelta(hours=2), "24 hours"),
    ReminderKind("2h", timedelta(hours=2), timedelta(minutes=45), "2 hours"),
)


def place(ctx: repository.AppointmentContext) -> str:
    """The appointment's place with the Meet link when it exists (a reminder is when the patient needs it)."""
    if ctx.mode == "ONLINE" and not ctx.meet_link:
        return f"{ONLINE_PLACE}; the joining link will follow"
    return place_of_appointment(ctx, with_link=True)


def dedupe_key(kind: ReminderKind, ctx: repository.AppointmentContext) -> str:
    stamp = int(ctx.starts_at.timestamp()) if ctx.starts_at else 0
    return f"reminder:{kind.label}:{ctx.appointment_id}:{stamp}"


async def queue_reminder(session: AsyncSession, appointment_id: int, kind: ReminderKind, *,
                         dedupe: str | None = None) -> int | None:
    ctx = await repository.appointment_context(session, appointment_id)
    if ctx is None:
        return None
    params = base_params(ctx) | {"lead": kind.lead_text, "place": place(ctx)}
    return await to_patient(session, ctx, "appointment_reminder", params, dedupe or dedupe_key(kind, ctx))


async def queue_due_reminders(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Queue every reminder now due; returns how many new messages were queued."""
    now = now or utcnow()
    queued = 0
    for kind in KINDS:
        for appointment_id in await repository.due_for_reminder(session, lead=kind.lead, grace=kind.grace, now=now):
            if await queue_reminder(session, appointment_id, kind) is not None:
                queued += 1
    return queued


def lead_text(delta: timedelta) -> str:
    """A rough "in …" for a staff-triggered reminder: ``3 days``, ``5 hours``, ``40 minutes``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 120:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"
