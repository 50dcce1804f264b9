"""Unpaid holds: a booking awaiting payment keeps its slot only until ``hold_expires_at``.

When a hold has lapsed is one rule (:mod:`clinicops.lifecycle.holds`: passed, and no successful payment), used
by every statement that asks. The periodic job (tasks.py) releases lapsed holds everywhere; booking also releases
the lapsed holds of the clinician's day first, so a slot the engine shows as free (its hold has lapsed) is never
refused by the database just because the job has not run yet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import repository
from clinicops.appointments.models import Appointment
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor, AppointmentStatus, change_status
from clinicops.logging import get_logger

log = get_logger("clinicops.holds")

ACTOR = Actor.HOLD_EXPIRY
BATCH = 200


def reason_for(appointment: Appointment) -> str:
    """Why the hold ended, in the hold length the booking was given (web bookings and desk bookings differ)."""
    settings = get_settings()
    minutes = settings.patient_hold_minutes if appointment.source == "WEB_PATIENT" else settings.staff_hold_minutes
    return f"Payment not completed within {minutes} minutes"


async def release_expired(session: AsyncSession, *, now: datetime | None = None, clinician_id: int | None = None,
                          between: tuple[datetime, datetime] | None = None, limit: int = BATCH,
                          except_id: int | None = None) -> list[int]:
    """Cancel lapsed holds (:func:`clinicops.lifecycle.holds.lapsed_sql`); returns the released ids.

    Safe to run twice and concurrently: rows are locked with SKIP LOCKED and re-checked under the lock.
    ``except_id``: the appointment being moved (the caller already holds it; the job decides about its hold).
    """
    now = now or utcnow()
    released: list[int] = []
    for appointment in await repository.lock_expired_holds(session, now=now, limit=limit,
                                                           clinician_id=clinician_id, between=between,
                                                           except_id=except_id):
        await change_status(session, appointment, AppointmentStatus.CANCELLED, actor_user_id=None, actor=ACTOR,
                            reason=reason_for(appointment))
        released.append(appointment.id)
    if released:
        log.info("holds_released", count=len(released))
    return released


async def release_all_expired(session_factory, *, now: datetime | None = None) -> int:
    """Release every lapsed hold, one transaction per batch (the job body)."""
    total = 0
    while True:
        async with session_factory() as session:
            batch = await release_expired(session, now=now)
        total += len(batch)
        if len(batch) < BATCH:
            return total
