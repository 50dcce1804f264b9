"""Clinic billing: an invoice for each monthly cycle, a Razorpay payment link to the admin on WhatsApp, and the
grace period after which an unpaid clinic becomes read-only (``organizations.plans``) until it pays.

- A cycle is billed once it has ended (on the clinic's calendar), from what it used (``plans.bill_for``: doctors
  active each day at the plan's price, prorated by days). One invoice per cycle: a unique key, and the
  subscription row is locked while invoices are issued.
- The link is made by a job after the invoice is committed (a provider outage never loses an invoice; the
  billing round sends any link still missing). The admin may ask for a fresh link (``send_link``).
- Unpaid ``GRACE_DAYS`` after it was issued, the invoice makes the clinic read-only: everything stays and can be
  read; changes are refused (402) until it is paid. Paying (the provider's webhook) makes it writable at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.billing import repository
from clinicops.billing.models import Invoice
from clinicops.errors import AppError, Conflict, NotFound
from clinicops.jobs import enqueue
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import today_in, utcnow
from clinicops.logging import get_logger
from clinicops.messaging.service import queue_message
from clinicops.organizations import plans
from clinicops.organizations.models import Subscription
from clinicops.payments import webhooks
from clinicops.payments.providers import get_provider
from clinicops.payments.providers.base import PaymentLink, ProviderPayment

log = get_logger("clinicops.billing")

GRACE_DAYS = 7  # an invoice is due this many days after it is issued
LINK_VALID_DAYS = 30  # a payment link lives this long; the admin can ask for a fresh one at any time
LINK_REUSE_MIN = timedelta(days=1)  # an open link with less left than this is replaced, not resent
REFERENCE_PREFIX = "inv_"  # payment links of invoices: reference "inv_<invoice id>_<unix time>"


# --- issuing ---------------------------------------------------------------------------------------------------

async def issue_due(session: AsyncSession, organization_id: int, today: date) -> list[Invoice]:
    """Invoice every cycle of the clinic that has ended by ``today`` and is not invoiced yet (safe to repeat)."""
    sub = await plans.subscription(session, organization_id, lock=True)
    if sub is None:
        return []
    start = await repository.last_period_end(session, organization_id) or sub.starts_on
    issued: list[Invoice] = []
    while True:
        cycle_start, cycle_end = plans.cycle_of(sub.starts_on, start)
        if cycle_end > today:
            return issued
        invoice = await _issue(session, sub, cycle_start, cycle_end, today)
        if invoice is not None:
            issued.append(invoice)
        start = cycle_end


async def _issue(session: AsyncSession, sub: Subscription, start: date, end: date, today: date) -> Invoice | None:
    bill = await plans.bill_for(session, sub.organization_id, start, end)
    free = bill.amount_paise == 0
    invoice = await repository.add_invoice(session, {
        "organization_id": sub.organization_id, "subscription_id": sub.id, "period_start": start,
        "period_end": end, "issued_on": today, "due_on": today + timedelta(days=GRACE_DAYS),
        "amount_paise": bill.amount_paise, "doctor_days": bill.doctor_days,
        "lines": [{"plan": line.plan, "price_per_doctor_paise": line.price_per_doctor_paise,
                   "doctors": line.doctors, "days": line.days, "amount_paise": line.amount_paise}
                  for line in bill.lines],
        "status": "PAID" if free else "OPEN", "paid_at": utcnow() if free else None,
        "notes": "Nothing to pay: no doctor was active in this cycle" if free else None})
    if invoice is not None and not free:
        enqueue(session, "billing.send_invoice", invoice_id=invoice.id)
    return invoice


# --- payment links ---------------------------------------------------------------------------------------------

def period_text(invoice: Invoice) -> str:
    last = invoice.period_end - timedelta(days=1)
    return f"{invoice.period_start:%d %b %Y} to {last:%d %b %Y}"


async def send_link(session: AsyncSession, invoice: Invoice, *, force_new: bool = False) -> Invoice:
    """Make (or reuse the open) payment link of an OPEN invoice and send it to the clinic's admin on WhatsApp.
    The invoice row must be locked by the caller."""
    if invoice.status != "OPEN":
        raise Conflict("This invoice is already paid", reason="invoice_paid")
    recipient = await repository.billing_recipient(session, invoice.organization_id)
    now = utcnow()
    reusable = bool(invoice.link_id and invoice.link_expires_at and invoice.link_expires_at - now > LINK_REUSE_MIN)
    if force_new or not reusable:
        provider = get_provider()
        expires_at = now + timedelta(days=LINK_VALID_DAYS)
        customer = {k: v for k, v in {"name": recipient.name or recipient.clinic_name,
                                      "contact": recipient.phone}.items() if v}
        link = await provider.create_payment_link(
            invoice.amount_paise, customer, expires_at, f"{REFERENCE_PREFIX}{invoice.id}_{int(now.timestamp())}",
            {"invoice_id": str(invoice.id), "organization_id": str(invoice.organization_id)}, None,
            description=f"{recipient.clinic_name}: subscription {period_text(invoice)}")
        invoice.provider, invoice.link_id, invoice.link_url = provider.name, link.id, link.short_url
        invoice.link_expires_at = expires_at
        await session.flush()
    if recipient.phone:
        await queue_message(session, template="clinic_invoice", recipient=recipient.phone,
                            recipient_name=recipient.name, organization_id=invoice.organization_id,
                            dedupe_key=f"clinic_invoice:{invoice.id}:{invoice.link_id}", params={
                                "clinic": recipient.clinic_name, "period": period_text(invoice),
                                "amount": str(to_rupees(invoice.amount_paise)), "doctors": _doctors_text(invoice),
                                "due": f"{invoice.due_on:%d %b %Y}", "link": invoice.link_url or ""})
    return invoice


def _doctors_text(invoice: Invoice) -> str:
    return ", ".join(f"{line['doctors']} doctor{'s' if line['doctors'] != 1 else ''} for {line['days']} "
                     f"day{'s' if line['days'] != 1 else ''} on {line['plan']}" for line in invoice.lines) or "-"


async def send_invoice(session: AsyncSession, invoice_id: int) -> bool:
    """The job body: the invoice's link, made and sent once (a second run finds it and does nothing)."""
    invoice = await repository.invoice_locked(session, invoice_id)
    if invoice is None or invoice.status != "OPEN" or invoice.link_id:
        return False
    await send_link(session, invoice)
    return True


async def resend_link(session: AsyncSession, organization_id: int, invoice_id: int) -> Invoice:
    """The admin asks for the open invoice's link again (a fresh one when the last has expired or nearly)."""
    invoice = await repository.invoice_in_org(session, organization_id, invoice_id, lock=True)
    if invoice is None:
        raise NotFound("Invoice not found")
    return await send_link(session, invoice)


# --- grace and read-only ---------------------------------------------------------------------------------------

async def enforce_grace(session: AsyncSession, organization_id: int, today: date) -> bool:
    """Make the clinic read-only if an invoice is unpaid past its due date; True when it just became so."""
    overdue = await repository.overdue(session, organization_id, today)
    if not overdue or not await plans.mark_past_due(session, organization_id):
        return False
    invoice = overdue[0]
    recipient = await repository.billing_recipient(session, organization_id)
    if recipient.phone:
        await queue_message(session, template="clinic_read_only", recipient=recipient.phone,
                            recipient_name=recipient.name, organization_id=organization_id,
                            dedupe_key=f"clinic_read_only:{invoice.id}", params={
                                "clinic": recipient.clinic_name, "amount": str(to_rupees(invoice.amount_paise)),
                                "due": f"{invoice.due_on:%d %b %Y}", "link": invoice.link_url or ""})
    log.info("clinic_read_only", organization_id=organization_id, invoice_id=invoice.id)
    return True


async def run_cycle(session: AsyncSession, organization_id: int) -> list[Invoice]:
    """One clinic's billing round (the periodic job): note its doctors, invoice ended cycles, send any link still
    missing, and apply the grace period. Safe to run any number of times."""
    today = await plans.clinic_today(session, organization_id)
    await plans.record_doctors(session, organization_id)
    issued = await issue_due(session, organization_id, today)
    fresh = {invoice.id for invoice in issued}
    for invoice_id in await repository.open_without_link(session, organization_id):
        if invoice_id not in fresh:
            enqueue(session, "billing.send_invoice", invoice_id=invoice_id)
    await enforce_grace(session, organization_id, today)
    return issued


# --- paying ----------------------------------------------------------------------------------------------------

async def settle(session: AsyncSession, invoice: Invoice, *, provider_payment_id: str | None,
                 method: str) -> bool:
    """Record the invoice paid (forward only) and lift read-only once nothing is overdue; False if already paid."""
    if invoice.status == "PAID":
        return False
    invoice.status, invoice.paid_at = "PAID", utcnow()
    invoice.provider_payment_id, invoice.payment_method = provider_payment_id, method
    await session.flush()
    today = await plans.clinic_today(session, invoice.organization_id)
    if not await repository.overdue(session, invoice.organization_id, today):
        await plans.mark_paid_up(session, invoice.organization_id)
    recipient = await repository.billing_recipient(session, invoice.organization_id)
    if recipient.phone:
        await queue_message(session, template="clinic_invoice_paid", recipient=recipient.phone,
                            recipient_name=recipient.name, organization_id=invoice.organization_id,
                            dedupe_key=f"clinic_invoice_paid:{invoice.id}", params={
                                "clinic": recipient.clinic_name, "period": period_text(invoice),
                                "amount": str(to_rupees(invoice.amount_paise))})
    return True


async def reconcile_open(session: AsyncSession, organization_id: int) -> int:
    """Ask the provider about the clinic's open invoice links (a webhook that never came) and settle the paid ones;
    returns how many. The provider is asked before the invoice is locked; one it cannot answer waits for the
    next round."""
    settled = 0
    for invoice_id, link_id in await repository.open_links(session, organization_id):
        try:
            link = await get_provider().fetch_payment_link(link_id)
        except AppError as exc:
            log.warning("invoice_reconcile_skipped", invoice_id=invoice_id, error=exc.code)
            continue
        if link.status != "paid":
            continue
        invoice = await repository.invoice_locked(session, invoice_id)
        if invoice is None or invoice.status != "OPEN" or link.amount_paise != invoice.amount_paise:
            continue
        captured = next((p for p in link.payments if p.status == "captured"), None)
        settled += await settle(session, invoice, provider_payment_id=captured.id if captured else None,
                                method=webhooks.method_of(captured.method if captured else None))
    return settled


def _invoice_id(reference_id: str | None) -> int | None:
    number = (reference_id or "").removeprefix(REFERENCE_PREFIX).split("_", 1)[0]
    return int(number) if number.isdigit() else None


@webhooks.link_owner(REFERENCE_PREFIX)
async def apply_link_event(session: AsyncSession, kind: str, link: PaymentLink,
                           paid: ProviderPayment | None) -> str | None:
    """A Razorpay payment-link event of an invoice (verified and stored by ``payments.webhooks``)."""
    invoice_id = _invoice_id(link.reference_id)
    invoice = await repository.invoice_locked(session, invoice_id) if invoice_id else None
    if invoice is None:
        return f"no invoice for link {link.id}"
    if kind != "payment_link.paid":
        return None if kind in ("payment_link.expired", "payment_link.cancelled") else f"ignored event {kind}"
    amount, currency = (paid.amount_paise, paid.currency) if paid else (link.amount_paise, link.currency)
    if amount != invoice.amount_paise or currency.upper() != invoice.currency:
        mismatch = f"amount mismatch: expected {invoice.amount_paise} {invoice.currency}, got {amount} {currency}"
        _note(invoice, f"Webhook {kind} not applied: {mismatch}")
        return mismatch
    if invoice.status == "PAID" and paid is not None and paid.id != invoice.provider_payment_id:
        _note(invoice, f"Paid twice (payment {paid.id} through link {link.id}): refund due in full")
        return None
    await settle(session, invoice, provider_payment_id=paid.id if paid else None,
                 method=webhooks.method_of(paid.method if paid else None))
    return None


def _note(invoice: Invoice, text: str) -> None:
    invoice.notes = f"{invoice.notes}\n{text}" if invoice.notes else text


# --- reading ---------------------------------------------------------------------------------------------------

async def list_invoices(session: AsyncSession, organization_id: int, *, limit: int,
                        offset: int) -> tuple[list[Invoice], int]:
    return await repository.list_invoices(session, organization_id, limit=limit, offset=offset)


@dataclass(frozen=True)
class Overview:
    """The subscription as its admin sees it (6.2 GET /clinics/subscription)."""

    subscription: Subscription
    current_doctors: int
    next_billing_on: date
    last_paid: Invoice | None
    last_paid_on: date | None  # the clinic's calendar day it was paid
    appointments_this_month: int
    revenue_this_month_paise: int

    @property
    def monthly_amount_paise(self) -> int:
        return self.current_doctors * self.subscription.price_per_doctor_paise


async def overview(session: AsyncSession, organization_id: int) -> Overview:
    sub = await plans.subscription(session, organization_id)
    if sub is None:
        raise NotFound("This clinic has no subscription")
    tz = await plans.clinic_zone(session, organization_id)
    today = today_in(tz)
    month_start = datetime.combine(today.replace(day=1), time(0), tzinfo=tz)
    month_end = datetime.combine(plans.cycle_of(today.replace(day=1), today)[1], time(0), tzinfo=tz)
    last_paid = await repository.last_paid(session, organization_id)
    return Overview(
        subscription=sub, current_doctors=await plans.active_doctors(session, organization_id),
        next_billing_on=plans.cycle_of(sub.starts_on, today)[1], last_paid=last_paid,
        last_paid_on=last_paid.paid_at.astimezone(tz).date() if last_paid and last_paid.paid_at else None,
        appointments_this_month=await repository.appointments_between(session, organization_id, month_start,
                                                                      month_end),
        revenue_this_month_paise=await repository.revenue_between(session, organization_id, month_start,
                                                                  month_end))



async def run_all(unit_of_work) -> int:
    """Every subscribed clinic's billing round, each in its own transaction (one failing clinic stops no other);
    returns how many invoices were issued."""
    async with unit_of_work() as session:
        organization_ids = await repository.billed_organizations(session)
    issued = 0
    for organization_id in organization_ids:
        try:
            async with unit_of_work() as session:  # first: a bill paid without its webhook is not overdue
                await reconcile_open(session, organization_id)
            async with unit_of_work() as session:
                issued += len(await run_cycle(session, organization_id))
        except Exception:  # noqa: BLE001 - logged; the next round retries this clinic
            log.exception("billing_round_failed", organization_id=organization_id)
    return issued
