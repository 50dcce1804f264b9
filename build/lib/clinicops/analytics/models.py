from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin


class Report(IdMixin, OrgMixin, Base):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("status IN ('QUEUED', 'RUNNING', 'READY', 'FAILED')", name="status"),
        CheckConstraint("format IN ('PDF', 'XLSX', 'CSV', 'JSON')", name="format"),
    )

    type: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    format: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(10), server_default="QUEUED")
    file_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
