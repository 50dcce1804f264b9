from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin


class Visit(IdMixin, TimestampMixin, OrgMixin, Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("status IN ('DRAFT', 'IN_PROGRESS', 'COMPLETED')", name="status"),
        CheckConstraint("severity IS NULL OR severity IN ('MILD', 'MODERATE', 'SEVERE', 'CRITICAL')",
                        name="severity"),
        Index("ix_visits_patient_date", "patient_id", "visit_date"),
        Index("ix_visits_clinician_date", "clinician_id", "visit_date"),
    )

    appointment_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("appointments.id", ondelete="SET NULL"), unique=True)
    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clinicians.id"))
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    visit_date: Mapped[date] = mapped_column(Date)
    chief_complaint: Mapped[str | None] = mapped_column(Text)
    vitals: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    examination: Mapped[str | None] = mapped_column(Text)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    icd10_code: Mapped[str | None] = mapped_column(String(10))
    severity: Mapped[str | None] = mapped_column(String(10))
    prescription: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    notes: Mapped[str | None] = mapped_column(Text)
    private_notes: Mapped[str | None] = mapped_column(Text)
    follow_up_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), server_default="DRAFT")
