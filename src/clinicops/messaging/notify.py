"""Messages caused by business events, queued in the caller's transaction through the outbox.

Each function builds the template parameters (dates and times in the centre's zone) and a dedupe key so a
retried request never sends a message twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment


async def appointment_confirmed(session: AsyncSession, appointment: Appointment) -> None:
    """Booking confirmation to the patient (the Meet link follows separately for ONLINE)."""
    # Filled in by the messaging work (issue 4): templates, recipients and dedupe keys.


async def appointment_cancelled(session: AsyncSession, appointment: Appointment, reason: str | None) -> None:
    """Cancellation with reason to the patient."""


async def appointment_rescheduled(session: AsyncSession, old: Appointment, new: Appointment) -> None:
    """Reschedule notice to the patient."""


async def payment_request(session: AsyncSession, appointment: Appointment, *, link_url: str, amount_paise: int) -> None:
    """Payment link to the patient."""


async def payment_received(session: AsyncSession, appointment: Appointment, *, amount_paise: int) -> None:
    """Receipt to the patient."""
