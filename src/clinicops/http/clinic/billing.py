"""/api/v1/clinics/subscription and /api/v1/clinics/invoices: the clinic's plan (6.2) and its bills.

Admin only (a doctor gets 403: no financial access, section 3.1). These routes stay open while the clinic is
read-only for an unpaid bill, so it can always see and pay what it owes (``http/read_only.py``).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.billing import service as billing
from clinicops.billing.models import Invoice
from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import ClinicAdmin
from clinicops.http.clinic.schemas import billing as wire
from clinicops.http.deps import get_db
from clinicops.http.envelope import clamp_limit, ok, paged
from clinicops.http.responses import Envelope, Page
from clinicops.http.routing import new_router
from clinicops.kit.money import to_rupees
from clinicops.organizations import plans

router = new_router(prefix="/clinics", tags=["clinic: subscription"])


@router.get("/subscription", response_model=Envelope[wire.SubscriptionOut])
async def get_subscription(admin: ClinicAdmin, session: AsyncSession = Depends(get_db)):
    view = await billing.overview(session, admin.organization_id)
    sub, last = view.subscription, view.last_paid
    return ok(wire.SubscriptionOut(
        current_plan=wire.CurrentPlan(
            plan=sub.plan, max_doctors=sub.max_doctors, current_doctors=view.current_doctors,
            price_per_doctor=to_rupees(sub.price_per_doctor_paise), total_amount=to_rupees(view.monthly_amount_paise),
            billing_cycle=sub.billing_cycle, status=sub.status),
        billing=wire.BillingInfo(
            next_billing_date=view.next_billing_on,
            last_payment_date=view.last_paid_on,
            last_payment_amount=to_rupees(last.amount_paise) if last else None,
            payment_method=last.payment_method if last else None),
        usage=wire.Usage(total_tokens_this_month=view.appointments_this_month,
                         total_revenue_this_month=to_rupees(view.revenue_this_month_paise)),
    ).dump())


@router.post("/subscription/upgrade", response_model=Envelope[wire.PlanChanged])
async def change_plan(body: wire.UpgradeBody, admin: ClinicAdmin, session: AsyncSession = Depends(get_db)):
    change = await plans.change_plan(session, admin.organization_id, new_plan=body.new_plan,
                                     estimated_doctors=body.estimated_doctors)
    return ok(wire.PlanChanged(
        previous_plan=change.previous.plan, new_plan=change.new.plan,
        price_change=wire.PriceChange(old_price_per_doctor=to_rupees(change.previous.price_per_doctor_paise),
                                      new_price_per_doctor=to_rupees(change.new.price_per_doctor_paise),
                                      estimated_monthly_saving=to_rupees(change.estimated_monthly_saving_paise)),
        effective_date=change.effective_on, next_billing_amount=to_rupees(change.next_billing_amount_paise),
    ).dump(), message="Subscription updated successfully")


def _invoice(invoice: Invoice) -> wire.InvoiceOut:
    return wire.InvoiceOut(
        invoice_id=ids.render(ids.INVOICE, invoice.id), period_start=invoice.period_start,
        period_end=invoice.period_end - timedelta(days=1), issue_date=invoice.issued_on, due_date=invoice.due_on,
        amount=to_rupees(invoice.amount_paise), currency=invoice.currency, doctor_days=invoice.doctor_days,
        lines=[wire.InvoiceLine(plan=line["plan"], price_per_doctor=to_rupees(line["price_per_doctor_paise"]),
                                doctors=line["doctors"], days=line["days"], amount=to_rupees(line["amount_paise"]))
               for line in invoice.lines],
        status=invoice.status, payment_link=invoice.link_url if invoice.status == "OPEN" else None,
        paid_at=invoice.paid_at, payment_method=invoice.payment_method)


@router.get("/invoices", response_model=Page[wire.InvoiceOut])
async def list_invoices(admin: ClinicAdmin, session: AsyncSession = Depends(get_db),
                        limit: int = Query(20, ge=1), offset: int = Query(0, ge=0)):
    limit = clamp_limit(limit)
    invoices, total = await billing.list_invoices(session, admin.organization_id, limit=limit, offset=offset)
    return paged([_invoice(i).dump() for i in invoices], total=total, limit=limit, offset=offset)


@router.post("/invoices/{invoiceId}/payment-link", response_model=Envelope[wire.InvoiceOut])
async def send_payment_link(invoice_id: ids.InvoiceIdPath, admin: ClinicAdmin,
                            session: AsyncSession = Depends(get_db)):
    invoice = await billing.resend_link(session, admin.organization_id, invoice_id)
    return ok(_invoice(invoice).dump(), message="Payment link sent to the clinic admin on WhatsApp")
