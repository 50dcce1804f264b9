from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("kind IN ('CHAIN', 'CLINIC')", name="kind"),
        CheckConstraint("status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')", name="status"),
    )

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), server_default="CHAIN")
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    whatsapp_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Kolkata")


class Centre(IdMixin, TimestampMixin, OrgMixin, Base):
    __tablename__ = "centres"

    name: Mapped[str] = mapped_column(String(150))
    city: Mapped[str] = mapped_column(String(100), index=True)
    address_line1: Mapped[str | None] = mapped_column(String(255))
    address_line2: Mapped[str | None] = mapped_column(String(255))
    pincode: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Kolkata")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Subscription(IdMixin, TimestampMixin, OrgMixin, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("plan IN ('BASIC', 'PROFESSIONAL', 'ENTERPRISE')", name="plan"),
        CheckConstraint("billing_cycle IN ('MONTHLY', 'QUARTERLY', 'YEARLY')", name="cycle"),
        CheckConstraint("status IN ('TRIAL', 'ACTIVE', 'PAST_DUE', 'CANCELLED', 'EXPIRED')", name="status"),
        CheckConstraint("price_per_doctor_paise >= 0 AND max_doctors > 0", name="amounts"),
    )

    plan: Mapped[str] = mapped_column(String(20))
    price_per_doctor_paise: Mapped[int] = mapped_column(BigInteger)
    max_doctors: Mapped[int] = mapped_column(Integer)
    billing_cycle: Mapped[str] = mapped_column(String(16), server_default="MONTHLY")
    status: Mapped[str] = mapped_column(String(16), server_default="TRIAL")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    trial_ends_on: Mapped[date | None] = mapped_column(Date)
