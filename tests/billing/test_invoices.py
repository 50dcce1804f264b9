"""Clinic invoices: one per ended cycle, prorated, a payment link to the admin on WhatsApp, paid through the
Razorpay webhook, and read-only after the grace period until paid — for two clinics side by side."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from clinicops.billing import service
from clinicops.billing.models import Invoice
from clinicops.config import get_settings
from clinicops.db import unit_of_work
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations import plans
from clinicops.payments.models import WebhookEvent
from clinicops.payments.providers.offline import LEDGER, pay_link
from tests.builders.billing import make_billed_clinic, subscription_of, used
from tests.builders.organizations import make_org
from tests.builders.payments import rzp_event, rzp_hmac, rzp_payment


async def _round(clinic) -> None:
    """One billing round for the clinic, committed as the job's (so its after-commit jobs are queued)."""
    async with unit_of_work() as session:
        await service.run_cycle(session, clinic.org.id)


async def _invoices(db, clinic) -> list[Invoice]:
    rows = await db.execute(select(Invoice).where(Invoice.organization_id == clinic.org.id)
                            .order_by(Invoice.period_start).execution_options(populate_existing=True))
    return list(rows.scalars())


async def _messages(db, phone: str, template: str) -> list[OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(OutboxMessage.recipient == phone,
                                                        OutboxMessage.template == template))
    return list(rows.scalars())


def _webhook(raw: bytes, event_id: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Razorpay-Event-Id": event_id,
            "X-Razorpay-Signature": rzp_hmac(get_settings().razorpay_webhook_secret, raw)}


def _link_paid(invoice: Invoice, *, amount: int | None = None, payment_id: str = "pay_INV1") -> bytes:
    amount = invoice.amount_paise if amount is None else amount
    link = {"id": invoice.link_id, "entity": "payment_link", "amount": amount, "currency": "INR", "status": "paid",
            "reference_id": f"inv_{invoice.id}_1700000000", "short_url": invoice.link_url}
    return rzp_event("payment_link.paid", payment_link=link,
                     payment=rzp_payment(payment_id, order_id="order_plink", amount=amount, method="upi"))


async def test_an_ended_cycle_is_invoiced_once_and_the_link_goes_to_that_clinics_admin(db, run_jobs):
    a = await make_billed_clinic(db, name="Sunrise", plan="PROFESSIONAL", doctors=2)
    b = await make_billed_clinic(db, name="Lakeside", plan="BASIC", doctors=3, started_days_ago=10)
    for clinic in (a, b):
        await _round(clinic)
        await _round(clinic)  # a second round changes nothing
    [invoice] = await _invoices(db, a)
    assert await _invoices(db, b) == []  # its first cycle has not ended
    sub = await subscription_of(db, a)
    assert (invoice.period_start, invoice.period_end) == plans.cycle_of(sub.starts_on, sub.starts_on)
    assert invoice.amount_paise == 2 * 64_900 and invoice.status == "OPEN"
    assert invoice.doctor_days == 2 * (invoice.period_end - invoice.period_start).days
    assert invoice.due_on == invoice.issued_on + timedelta(days=service.GRACE_DAYS)
    assert invoice.link_id is None  # made by the job, after the invoice is committed
    await run_jobs()
    [invoice] = await _invoices(db, a)
    assert invoice.link_id and invoice.link_url
    [sent] = await _messages(db, a.admin.phone, "clinic_invoice")
    assert invoice.link_url in sent.body and "1298" in sent.body and sent.organization_id == a.org.id
    assert await _messages(db, b.admin.phone, "clinic_invoice") == []


async def test_a_change_of_doctors_mid_cycle_is_prorated_by_days(db):
    clinic = await make_billed_clinic(db, plan="PROFESSIONAL", doctors=2, started_days_ago=40)
    sub = await subscription_of(db, clinic)
    start, end = plans.cycle_of(sub.starts_on, sub.starts_on)
    days = (end - start).days
    await used(db, clinic, start + timedelta(days=10), 5)
    await _round(clinic)
    [invoice] = await _invoices(db, clinic)
    assert [(line["doctors"], line["days"]) for line in invoice.lines] == [(2, 10), (5, days - 10)]
    assert invoice.amount_paise == round(2 * 64_900 * 10 / days) + round(5 * 64_900 * (days - 10) / days)


async def test_unpaid_after_grace_the_clinic_is_read_only_and_paying_by_webhook_restores_it(client, db, run_jobs):
    late = await make_billed_clinic(db, name="Late", doctors=2, started_days_ago=45)
    fine = await make_billed_clinic(db, name="Fine", doctors=2, started_days_ago=45)
    for clinic in (late, fine):
        await _round(clinic)
    await run_jobs()
    [invoice] = await _invoices(db, late)
    # nobody paid: move the due date into the past, as the calendar would
    invoice.due_on = invoice.issued_on = invoice.issued_on - timedelta(days=service.GRACE_DAYS + 1)
    [other] = await _invoices(db, fine)
    other.issued_on = other.issued_on - timedelta(days=1)  # still within its grace period
    await db.flush()
    for clinic in (late, fine):
        await _round(clinic)
    assert not await plans.is_writable(db, late.org.id)
    assert await plans.is_writable(db, fine.org.id)
    [notice] = await _messages(db, late.admin.phone, "clinic_read_only")
    assert invoice.link_url in notice.body

    raw = _link_paid(invoice, amount=invoice.amount_paise - 100)  # a wrong amount is recorded, not applied
    assert (await client.post("/api/payments/webhook", content=raw, headers=_webhook(raw, "evt_inv_bad"))
            ).status_code == 200
    await run_jobs()
    assert (await _invoices(db, late))[0].status == "OPEN"
    assert not await plans.is_writable(db, late.org.id)

    raw = _link_paid(invoice)
    response = await client.post("/api/payments/webhook", content=raw, headers=_webhook(raw, "evt_inv_ok"))
    assert response.status_code == 200
    await run_jobs()
    [paid] = await _invoices(db, late)
    assert (paid.status, paid.provider_payment_id, paid.payment_method) == ("PAID", "pay_INV1", "UPI")
    assert await plans.is_writable(db, late.org.id)
    events = (await db.execute(select(WebhookEvent.event_id, WebhookEvent.error)
                               .order_by(WebhookEvent.id))).all()
    assert [e.event_id for e in events] == ["evt_inv_bad", "evt_inv_ok"]
    assert "amount mismatch" in events[0].error and events[1].error is None
    assert len(await _messages(db, late.admin.phone, "clinic_invoice_paid")) == 1
    # the same delivery again (or a second event for it) pays nothing twice
    await client.post("/api/payments/webhook", content=raw, headers=_webhook(raw, "evt_inv_again"))
    await run_jobs()
    assert len(await _messages(db, late.admin.phone, "clinic_invoice_paid")) == 1


async def test_a_cycle_without_doctors_is_invoiced_as_nothing_to_pay(db, run_jobs, queued_jobs):
    clinic = await make_billed_clinic(db, doctors=0)
    await _round(clinic)
    [invoice] = await _invoices(db, clinic)
    assert (invoice.amount_paise, invoice.status, invoice.link_id) == (0, "PAID", None)
    assert not [name for name, _ in queued_jobs() if "billing" in name]


async def test_the_link_is_made_with_razorpays_format(db, run_jobs, razorpay):
    captured: dict = {}

    def reply(request: httpx.Request) -> httpx.Response:
        captured.update(json.loads(request.content))
        return httpx.Response(200, json={"id": "plink_Inv0000001", "short_url": "https://rzp.io/i/inv1",
                                         "amount": captured["amount"], "currency": "INR", "status": "created",
                                         "reference_id": captured["reference_id"],
                                         "expire_by": captured["expire_by"]})

    razorpay.post("/payment_links").mock(side_effect=reply)
    clinic = await make_billed_clinic(db, plan="BASIC", doctors=3)
    await _round(clinic)
    await run_jobs()
    [invoice] = await _invoices(db, clinic)
    assert captured["amount"] == invoice.amount_paise == 3 * 79_900
    assert captured["reference_id"].startswith(f"inv_{invoice.id}_") and len(captured["reference_id"]) <= 40
    assert captured["customer"]["contact"] == clinic.admin.phone
    assert "callback_url" not in captured
    assert (invoice.link_id, invoice.link_url) == ("plink_Inv0000001", "https://rzp.io/i/inv1")


async def test_a_provider_outage_keeps_the_invoice_and_the_next_round_sends_the_link(db, run_jobs, razorpay):
    route = razorpay.post("/payment_links").mock(side_effect=httpx.ReadTimeout("slow"))
    clinic = await make_billed_clinic(db, doctors=1)
    await _round(clinic)
    await run_jobs()
    [invoice] = await _invoices(db, clinic)
    assert invoice.status == "OPEN" and invoice.link_id is None and route.called
    route.mock(return_value=httpx.Response(200, json={
        "id": "plink_Late000001", "short_url": "https://rzp.io/i/late", "amount": invoice.amount_paise,
        "currency": "INR", "status": "created", "reference_id": f"inv_{invoice.id}_1", "expire_by": 1}))
    await _round(clinic)
    await run_jobs()
    assert (await _invoices(db, clinic))[0].link_id == "plink_Late000001"
    count = await db.scalar(select(func.count()).select_from(Invoice).where(Invoice.organization_id == clinic.org.id))
    assert count == 1


async def test_the_hourly_round_bills_every_subscribed_clinic_and_skips_chains(db, run_jobs):
    clinics = [await make_billed_clinic(db, doctors=n) for n in (1, 2)]
    await make_org(db)  # a hospital chain: no plan, no invoice
    assert await service.run_all(unit_of_work) == 2
    assert await service.run_all(unit_of_work) == 0
    await run_jobs()
    for clinic, doctors in zip(clinics, (1, 2)):
        [invoice] = await _invoices(db, clinic)
        assert invoice.amount_paise == doctors * 64_900 and invoice.link_url


async def test_paying_the_link_in_development_goes_through_the_webhook_path(client, db, run_jobs):
    clinic = await make_billed_clinic(db, doctors=1)
    await _round(clinic)
    await run_jobs()
    [invoice] = await _invoices(db, clinic)
    page = await client.post(f"/api/payments/offline/pay/{invoice.link_id}")
    assert page.status_code == 200
    await run_jobs()
    [invoice] = await _invoices(db, clinic)
    assert invoice.status == "PAID" and invoice.provider_payment_id


async def test_a_paid_link_whose_webhook_never_came_is_settled_by_the_round(db, run_jobs):
    late = await make_billed_clinic(db, doctors=1)
    await _round(late)
    await run_jobs()
    [invoice] = await _invoices(db, late)
    invoice.due_on = invoice.issued_on = invoice.issued_on - timedelta(days=service.GRACE_DAYS + 1)
    await db.flush()
    pay_link(get_settings(), LEDGER.links[invoice.link_id])  # paid at Razorpay; no webhook arrives
    assert await service.run_all(unit_of_work) == 0
    [invoice] = await _invoices(db, late)
    assert invoice.status == "PAID" and invoice.payment_method == "UPI"
    assert await plans.is_writable(db, late.org.id)  # never made read-only: it was paid in time


async def test_two_rounds_at_once_issue_one_invoice(committed):
    factory, _ = committed
    async with factory() as db:
        clinic = await make_billed_clinic(db, doctors=2)
        await db.commit()

    async def round_() -> int:
        async with factory() as session:
            issued = await service.run_cycle(session, clinic.org.id)
            await asyncio.sleep(0.05)
            await session.commit()
            return len(issued)

    assert sorted(await asyncio.gather(round_(), round_())) == [0, 1]
    async with factory() as db:
        assert len(await _invoices(db, clinic)) == 1
