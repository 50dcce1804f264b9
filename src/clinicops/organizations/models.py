from __future__ import annotations

from datetime import date

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, Integer, SmallInteger, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin


# PENDING: a clinic registered but not yet verified by its admin's code (issue 11).
ORGANIZATION_STATUSES = ("PENDING", "ACTIVE", "SUSPENDED", "CLOSED")
ALL_WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("kind IN ('CHAIN', 'CLINIC')", name="kind"),
        CheckConstraint("status IN " + str(ORGANIZATION_STATUSES), name="status"),
        CheckConstraint("working_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]", name="working_days"),
        CheckConstraint("registration_fee_paise >= 0", name="registration_fee"),
        CheckConstraint("free_cancellation_hours >= 0", name="free_cancellation_hours"),
        CheckConstraint("array_to_string(cities, ',') = lower(array_to_string(cities, ','))", name="cities_lower"),
    )
    # The settings' defaults come back with the INSERT, so a new organization's rules are readable at once.
    __mapper_args__ = {"eager_defaults": True}

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), server_default="CHAIN")
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    whatsapp_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Kolkata")
    # The organization's own rules (each tenant has its own; nothing here is a process-wide setting).
    # Lower-case city keys its centres may be in; empty: any city.
    cities: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default=text("'{}'::varchar[]"))
    registration_fee_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # A patient may cancel online, the consultation fee refunded, up to this many hours before the start.
    free_cancellation_hours: Mapped[int] = mapped_column(Integer, server_default="24")
    # The days it is open, 0 = Sunday .. 6 = Saturday (as availability rules count them).
    working_days: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), server_default=text("'{0,1,2,3,4,5,6}'::smallint[]"))


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
        UniqueConstraint("organization_id", name="uq_subscriptions_organization"),  # one per clinic
    )

    plan: Mapped[str] = mapped_column(String(20))
    price_per_doctor_paise: Mapped[int] = mapped_column(BigInteger)
    max_doctors: Mapped[int] = mapped_column(Integer)
    billing_cycle: Mapped[str] = mapped_column(String(16), server_default="MONTHLY")
    status: Mapped[str] = mapped_column(String(16), server_default="TRIAL")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    trial_ends_on: Mapped[date | None] = mapped_column(Date)
