"""Outbox delivery: woken after each commit that queues a message, and swept periodically."""

from __future__ import annotations

from datetime import timedelta

from clinicops.db import unit_of_work
from clinicops.jobs import tasks
from clinicops.kit.timezones import utcnow
from clinicops.messaging import reminders, repository, service

# A row is SENDING only from its claim to the end of its one send, which the outbound timeouts bound to seconds;
# a row still SENDING after this long belongs to a worker that died mid-send, and its outcome is unknown.
STUCK_SENDING_AFTER = timedelta(minutes=5)


@tasks.task(name="messaging.deliver_outbox", queueing_lock="deliver_outbox", retry=3)
async def deliver_outbox() -> None:
    while await service.deliver_due(unit_of_work) > 0:
        pass


@tasks.periodic(cron="* * * * * */15", periodic_id="outbox-sweep")
@tasks.task(name="messaging.sweep_outbox", queueing_lock="sweep_outbox")
async def sweep_outbox(timestamp: int) -> None:
    """Park the message a dead worker was sending as UNKNOWN, then deliver whatever is due (a lost wake-up,
    a retry whose backoff ended, the messages a killed worker never reached)."""
    async with unit_of_work() as session:
        await repository.release_stuck_sending(session, older_than=utcnow() - STUCK_SENDING_AFTER)
    while await service.deliver_due(unit_of_work) > 0:
        pass


@tasks.periodic(cron="* * * * *", periodic_id="appointment-reminders")
@tasks.task(name="messaging.send_reminders", queueing_lock="send_reminders")
async def send_reminders(timestamp: int) -> None:
    """Queue the 24 h and 2 h reminders now due (safe to run twice or concurrently: dedupe keys)."""
    async with unit_of_work() as session:
        await reminders.queue_due_reminders(session)
