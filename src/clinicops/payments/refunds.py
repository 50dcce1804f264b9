"""Refund eligibility when a paid appointment is cancelled."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment


async def on_cancelled(session: AsyncSession, appointment: Appointment) -> None:
    """Record refund eligibility of the appointment's successful payment (the payments work fills this in)."""
