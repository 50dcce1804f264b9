from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin

PAYMENT_STATUSES = ("CREATED", "PENDING", "SUCCESS", "FAILED", "REFUNDED")


class Payment(IdMixin, TimestampMixin, OrgMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("status IN " + str(PAYMENT_STATUSES), name="status"),
        CheckConstraint("amount_paise >= 0 AND refunded_paise >= 0 AND refunded_paise <= amount_paise",
                        name="amounts"),
        CheckConstraint("method IS NULL OR method IN ('RAZORPAY', 'CASH', 'CARD', 'UPI', 'PAYMENT_LINK', "
                        "'NETBANKING', 'WALLET', 'OTHER')", name="method"),
        Index("uq_payments_order_id", "provider", "order_id", unique=True,
              postgresql_where=text("order_id IS NOT NULL")),
        Index("uq_payments_payment_id", "provider", "payment_id", unique=True,
              postgresql_where=text("payment_id IS NOT NULL")),
        Index("uq_payments_link_id", "provider", "link_id", unique=True,
              postgresql_where=text("link_id IS NOT NULL")),
        Index("ix_payments_appointment", "appointment_id"),
        Index("ix_payments_patient", "patient_id", "created_at"),
        Index("ix_payments_org_paid_at", "organization_id", "paid_at", postgresql_where=text("status = 'SUCCESS'")),
    )

    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    appointment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("appointments.id"))
    provider: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str | None] = mapped_column(String(100))
    payment_id: Mapped[str | None] = mapped_column(String(100))
    link_id: Mapped[str | None] = mapped_column(String(100))
    link_url: Mapped[str | None] = mapped_column(Text)
    link_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    consultation_fee_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    registration_fee_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), server_default="INR")
    status: Mapped[str] = mapped_column(String(10), server_default="CREATED")
    method: Mapped[str | None] = mapped_column(String(20))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    refund_eligible_paise: Mapped[int | None] = mapped_column(BigInteger)
    refunded_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refund_id: Mapped[str | None] = mapped_column(String(100))
    refund_status: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))


class WebhookEvent(IdMixin, Base):
    """Every provider callback, stored once per event id before it is applied."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event"),)

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
