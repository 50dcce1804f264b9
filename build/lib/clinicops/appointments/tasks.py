"""Jobs of the appointments domain."""

from __future__ import annotations

from clinicops.appointments import holds
from clinicops.db import unit_of_work
from clinicops.jobs import tasks


@tasks.periodic(cron="* * * * *", periodic_id="release-expired-holds")
@tasks.task(name="appointments.release_expired_holds", queueing_lock="release_expired_holds")
async def release_expired_holds(timestamp: int | None = None) -> int:
    """Every minute: cancel BOOKED appointments whose payment hold has lapsed (records why)."""
    return await holds.release_all_expired(unit_of_work)
