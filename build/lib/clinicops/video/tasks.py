"""Meet link jobs: create after confirmation (retried with backoff), a sweep for what is still missing,
and best-effort deletion of replaced calendar events."""

from __future__ import annotations

from datetime import timedelta

from procrastinate import RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from clinicops.db import unit_of_work
from clinicops.jobs import get_app, tasks
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.video import repository, service
from clinicops.video.providers import VideoProviderError, get_provider

log = get_logger("clinicops.video.tasks")

# Waits 5 s, 25 s, 2 min, 10 min, 52 min between attempts; after that the sweep takes over.
LINK_RETRY = RetryStrategy(max_attempts=6, exponential_wait=5)


@tasks.task(name="video.create_meet_link", retry=LINK_RETRY)
async def create_meet_link(appointment_id: int) -> None:
    try:
        async with unit_of_work() as session:
            await service.create_link_for(session, appointment_id)
    except VideoProviderError as exc:
        log.warning("meet_link_retry", appointment_id=appointment_id, error=str(exc), transient=exc.transient)
        raise


@tasks.periodic(cron="*/10 * * * *", periodic_id="meet-link-sweep")
@tasks.task(name="video.sweep_missing_links", queueing_lock="sweep_missing_links")
async def sweep_missing_links(timestamp: int) -> None:
    """Confirmed ONLINE appointments whose link job gave up (or was never enqueued) get another one."""
    now = utcnow()
    async with unit_of_work() as session:
        ids = await repository.missing_links(session, now=now, quiet_since=now - timedelta(minutes=10))
    task = get_app().configure_task
    for appointment_id in ids:
        try:
            await task(name="clinicops:video.create_meet_link",
                       queueing_lock=f"meet-link-{appointment_id}").defer_async(appointment_id=appointment_id)
        except AlreadyEnqueued:
            continue


@tasks.task(name="video.delete_meet_event", retry=RetryStrategy(max_attempts=3, exponential_wait=10))
async def delete_meet_event(event_id: str) -> None:
    await get_provider().delete_meeting(event_id)
