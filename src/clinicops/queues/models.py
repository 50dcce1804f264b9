from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin


class Queue(IdMixin, TimestampMixin, OrgMixin, Base):
    """A clinician's live token queue for one day. Its tokens are appointments (``queue_id``, ``token_number``);
    their statuses move by the token table of ``clinicops.lifecycle.tokens``."""

    __tablename__ = "queues"
    __table_args__ = (
        UniqueConstraint("clinician_id", "queue_date", name="uq_queues_clinician_date"),
        CheckConstraint("status IN ('NOT_STARTED', 'ACTIVE', 'PAUSED', 'CLOSED')", name="status"),
        CheckConstraint("current_token >= 0 AND last_token >= 0", name="tokens"),
    )

    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clinicians.id", ondelete="CASCADE"))
    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centres.id"))
    queue_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), server_default="NOT_STARTED")
    current_token: Mapped[int] = mapped_column(Integer, server_default="0")
    last_token: Mapped[int] = mapped_column(Integer, server_default="0")
    pause_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
