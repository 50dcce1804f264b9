"""A patient's erasure request at one clinic: what was anonymised, what the law keeps and until when."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin


class ErasureRequest(IdMixin, OrgMixin, Base):
    """Append-only: one row per request carried out (a second request is carried out and recorded again)."""

    __tablename__ = "erasure_requests"

    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    erased: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    retained: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    retain_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
