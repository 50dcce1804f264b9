"""Payment jobs: apply a stored webhook event; reconcile open orders and links every five minutes."""

from __future__ import annotations

from clinicops.db import unit_of_work
from clinicops.jobs import tasks
from clinicops.payments import reconciliation, webhooks


@tasks.task(name="payments.apply_webhook", retry=5)
async def apply_webhook(webhook_event_id: int) -> None:
    async with unit_of_work() as session:
        await webhooks.apply_stored(session, webhook_event_id)


@tasks.periodic(cron="*/5 * * * *", periodic_id="payments-reconcile")
@tasks.task(name="payments.reconcile", queueing_lock="payments_reconcile")
async def reconcile(timestamp: int) -> None:
    await reconciliation.reconcile_due(unit_of_work)
