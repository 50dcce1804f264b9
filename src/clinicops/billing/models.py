"""Clinic billing: what a clinic used day by day, and the invoice of each monthly cycle.

``plan_days`` is written by ``organizations.plans`` (a model, so the layer below may use it): one row per clinic
per day on which its doctors or its plan changed. A day without a row carries the state of the last row before it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin

INVOICE_STATUSES = ("OPEN", "PAID")


class PlanDay(IdMixin, OrgMixin, Base):
    """A clinic's plan and doctors on one calendar day (in its time zone) on which they changed.

    ``doctors`` is the count after the day's last change (it carries to the next days); ``peak_doctors`` the most
    active at once that day (what the day is billed for, so adding and removing a doctor in one day still counts).
    """

    __tablename__ = "plan_days"
    __table_args__ = (
        UniqueConstraint("organization_id", "day", name="uq_plan_days_organization_day"),
        CheckConstraint("doctors >= 0 AND peak_doctors >= doctors", name="doctors"),
        CheckConstraint("price_per_doctor_paise >= 0", name="price"),
    )

    day: Mapped[date] = mapped_column(Date)
    plan: Mapped[str] = mapped_column(String(20))
    price_per_doctor_paise: Mapped[int] = mapped_column(BigInteger)
    doctors: Mapped[int] = mapped_column(Integer)
    peak_doctors: Mapped[int] = mapped_column(Integer)


class Invoice(IdMixin, TimestampMixin, OrgMixin, Base):
    """One monthly cycle ``[period_start, period_end)`` of a clinic's subscription, billed after it ends."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "period_start", name="uq_invoices_organization_period"),
        CheckConstraint("status IN " + str(INVOICE_STATUSES), name="status"),
        CheckConstraint("amount_paise >= 0 AND doctor_days >= 0", name="amounts"),
        CheckConstraint("period_start < period_end AND issued_on <= due_on", name="dates"),
        CheckConstraint("(status = 'PAID') = (paid_at IS NOT NULL)", name="paid"),
        Index("uq_invoices_link_id", "provider", "link_id", unique=True, postgresql_where=text("link_id IS NOT NULL")),
        Index("ix_invoices_open_due", "due_on", postgresql_where=text("status = 'OPEN'")),
    )

    subscription_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("subscriptions.id", ondelete="RESTRICT"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), server_default="INR")
    doctor_days: Mapped[int] = mapped_column(Integer)
    # how the amount was reached: [{"plan", "price_per_doctor_paise", "doctors", "days", "amount_paise"}, ...]
    lines: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    status: Mapped[str] = mapped_column(String(10), server_default="OPEN")
    provider: Mapped[str | None] = mapped_column(String(20))
    link_id: Mapped[str | None] = mapped_column(String(100))
    link_url: Mapped[str | None] = mapped_column(Text)
    link_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_payment_id: Mapped[str | None] = mapped_column(String(100))
    payment_method: Mapped[str | None] = mapped_column(String(20))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
