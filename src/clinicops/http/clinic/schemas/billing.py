"""Wire shapes of the clinic's subscription (6.2) and invoices: camelCase, money in rupees (JSON numbers)."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from clinicops.billing.models import INVOICE_STATUSES
from clinicops.http.clinic.ids import InvoiceIdOut
from clinicops.http.clinic.schemas.base import Body, Wire
from clinicops.http.responses import Rupees, one_of
from clinicops.organizations.plans import CATALOGUE

PlanName = one_of(p.value for p in CATALOGUE)


class UpgradeBody(Body):
    """``POST /clinics/subscription/upgrade``: the plan to move to, and how many doctors the clinic expects."""

    new_plan: PlanName
    estimated_doctors: int | None = Field(default=None, ge=0, le=1000)


class CurrentPlan(Wire):
    plan: PlanName
    max_doctors: int
    current_doctors: int
    price_per_doctor: Rupees
    total_amount: Rupees
    billing_cycle: str
    status: str


class BillingInfo(Wire):
    next_billing_date: date
    last_payment_date: date | None
    last_payment_amount: Rupees | None
    payment_method: str | None


class Usage(Wire):
    total_tokens_this_month: int
    total_revenue_this_month: Rupees


class SubscriptionOut(Wire):
    current_plan: CurrentPlan
    billing: BillingInfo
    usage: Usage


class PriceChange(Wire):
    old_price_per_doctor: Rupees
    new_price_per_doctor: Rupees
    estimated_monthly_saving: Rupees


class PlanChanged(Wire):
    previous_plan: PlanName
    new_plan: PlanName
    price_change: PriceChange
    effective_date: date
    next_billing_amount: Rupees


class InvoiceLine(Wire):
    plan: PlanName
    price_per_doctor: Rupees
    doctors: int
    days: int
    amount: Rupees


class InvoiceOut(Wire):
    invoice_id: InvoiceIdOut
    period_start: date
    period_end: date  # the cycle's last day (inclusive)
    issue_date: date
    due_date: date
    amount: Rupees
    currency: str
    doctor_days: int
    lines: list[InvoiceLine]
    status: one_of(INVOICE_STATUSES)
    payment_link: str | None
    paid_at: AwareDatetime | None
    payment_method: str | None
