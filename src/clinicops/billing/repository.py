"""All SQL of clinic billing. Every invoice query a caller reaches is scoped by the clinic (organization)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES, Appointment
from clinicops.auth.models import User, UserRole
from clinicops.billing.models import Invoice
from clinicops.organizations.models import Organization, Subscription
from clinicops.payments.models import Payment


def _invoices(organization_id: int) -> Select:
    """The clinic's invoices: the starting point of every invoice query made for a caller."""
    return select(Invoice).where(Invoice.organization_id == organization_id)


async def list_invoices(session: AsyncSession, organization_id: int, *, limit: int,
                        offset: int) -> tuple[list[Invoice], int]:
    total = (await session.execute(select(func.count()).select_from(
        _invoices(organization_id).subquery()))).scalar_one()
    rows = await session.execute(_invoices(organization_id).order_by(Invoice.period_start.desc())
                                 .limit(limit).offset(offset))
    return list(rows.scalars()), int(total)


async def invoice_in_org(session: AsyncSession, organization_id: int, invoice_id: int, *,
                         lock: bool = False) -> Invoice | None:
    stmt = _invoices(organization_id).where(Invoice.id == invoice_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def invoice_locked(session: AsyncSession, invoice_id: int) -> Invoice | None:
    """For the job and the provider's webhook, which act for no caller."""
    stmt = select(Invoice).where(Invoice.id == invoice_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def last_period_end(session: AsyncSession, organization_id: int) -> date | None:
    stmt = select(func.max(Invoice.period_end)).where(Invoice.organization_id == organization_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_invoice(session: AsyncSession, values: dict) -> Invoice | None:
    """Insert one cycle's invoice; None when that cycle is already invoiced."""
    stmt = (insert(Invoice).values(**values)
            .on_conflict_do_nothing(constraint="uq_invoices_organization_period").returning(Invoice.id))
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    return await session.get(Invoice, new_id) if new_id is not None else None


async def overdue(session: AsyncSession, organization_id: int, today: date) -> list[Invoice]:
    """Open invoices whose due date has passed (the clinic is read-only while there is one)."""
    stmt = _invoices(organization_id).where(Invoice.status == "OPEN", Invoice.due_on < today).order_by(Invoice.due_on)
    return list((await session.execute(stmt)).scalars())


async def open_without_link(session: AsyncSession, organization_id: int) -> list[int]:
    stmt = select(Invoice.id).where(Invoice.organization_id == organization_id, Invoice.status == "OPEN",
                                    Invoice.link_id.is_(None))
    return list((await session.execute(stmt)).scalars())


async def open_links(session: AsyncSession, organization_id: int) -> list[tuple[int, str]]:
    """(invoice id, link id) of the clinic's open invoices that have a payment link."""
    stmt = select(Invoice.id, Invoice.link_id).where(Invoice.organization_id == organization_id,
                                                     Invoice.status == "OPEN", Invoice.link_id.is_not(None))
    return [(row.id, row.link_id) for row in await session.execute(stmt)]


async def last_paid(session: AsyncSession, organization_id: int) -> Invoice | None:
    stmt = (_invoices(organization_id).where(Invoice.status == "PAID", Invoice.amount_paise > 0)
            .order_by(Invoice.paid_at.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def billed_organizations(session: AsyncSession) -> list[int]:
    """Every organization with a subscription (the billing job's round)."""
    return list((await session.execute(select(Subscription.organization_id).order_by(Subscription.id))).scalars())


@dataclass(frozen=True)
class Recipient:
    clinic_name: str
    name: str | None
    phone: str | None


async def billing_recipient(session: AsyncSession, organization_id: int) -> Recipient:
    """Who gets the clinic's bills: its first active admin, else the clinic's WhatsApp number."""
    org = (await session.execute(select(Organization.name, Organization.whatsapp_number, Organization.phone)
                                 .where(Organization.id == organization_id))).one()
    admin = (await session.execute(
        select(User.full_name, User.phone).join(UserRole, UserRole.user_id == User.id)
        .where(User.organization_id == organization_id, User.is_active.is_(True), UserRole.role == "ADMIN")
        .order_by(User.id).limit(1))).one_or_none()
    if admin is not None:
        return Recipient(org.name, admin.full_name, admin.phone)
    return Recipient(org.name, None, org.whatsapp_number or org.phone)


async def appointments_between(session: AsyncSession, organization_id: int, start: datetime, end: datetime) -> int:
    """Appointments and tokens of the clinic in ``[start, end)`` that still hold their time."""
    stmt = select(func.count()).select_from(Appointment).where(
        Appointment.organization_id == organization_id, Appointment.starts_at >= start, Appointment.starts_at < end,
        Appointment.status.not_in(RELEASED_STATUSES))
    return int((await session.execute(stmt)).scalar_one())


async def revenue_between(session: AsyncSession, organization_id: int, start: datetime, end: datetime) -> int:
    """Paise the clinic received from patients in ``[start, end)``, less what it refunded."""
    stmt = select(func.coalesce(func.sum(Payment.amount_paise - Payment.refunded_paise), 0)).where(
        Payment.organization_id == organization_id, Payment.status.in_(("SUCCESS", "REFUNDED")),
        Payment.paid_at >= start, Payment.paid_at < end)
    return int((await session.execute(stmt)).scalar_one())
