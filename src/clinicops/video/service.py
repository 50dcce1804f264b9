"""Meet links for ONLINE appointments."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment


async def on_confirmed(session: AsyncSession, appointment: Appointment) -> None:
    """An ONLINE appointment gets its link when confirmed (the video work of issue 4 fills this in)."""
