from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin

OUTBOX_STATUSES = ("QUEUED", "SENDING", "SENT", "DELIVERED", "READ", "FAILED", "UNKNOWN")


class OutboxMessage(IdMixin, Base):
    """A message to send, written in the transaction of the change that causes it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN " + str(OUTBOX_STATUSES), name="status"),
        CheckConstraint("channel IN ('WHATSAPP')", name="channel"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_due", "next_attempt_at", postgresql_where=text("status = 'QUEUED'")),
        Index("ix_outbox_recipient", "recipient", "created_at"),
        Index("ix_outbox_org_created", "organization_id", "created_at"),
        Index("ix_outbox_provider_message", "provider_message_id"),
    )

    organization_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("organizations.id"), index=False)
    channel: Mapped[str] = mapped_column(String(10), server_default="WHATSAPP")
    template: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(20))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    body: Mapped[str] = mapped_column(Text, server_default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), server_default="QUEUED")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, server_default="5")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    appointment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("appointments.id", ondelete="SET NULL"))
    patient_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
