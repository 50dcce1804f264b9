"""Billing jobs: the hourly round (each clinic's cycles end at its own midnight), and sending an invoice's link."""

from __future__ import annotations

from clinicops.billing import service
from clinicops.db import unit_of_work
from clinicops.jobs import tasks


@tasks.task(name="billing.send_invoice", retry=5)
async def send_invoice(invoice_id: int) -> None:
    async with unit_of_work() as session:
        await service.send_invoice(session, invoice_id)


@tasks.periodic(cron="7 * * * *", periodic_id="billing-round")
@tasks.task(name="billing.run_round", queueing_lock="billing_run_round")
async def run_round(timestamp: int) -> None:
    await service.run_all(unit_of_work)
