from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin


class VisitStatus(StrEnum):
    DRAFT = "DRAFT"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class Severity(StrEnum):
    MILD = "MILD"
    MODERATE = "MODERATE"
    SEVERE = "SEVERE"
    CRITICAL = "CRITICAL"


class Visit(IdMixin, TimestampMixin, OrgMixin, Base):
    """One consultation's record. Its private notes are ``clinical_notes`` rows with this ``visit_id``."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("status IN ('DRAFT', 'IN_PROGRESS', 'COMPLETED')", name="status"),
        CheckConstraint("severity IS NULL OR severity IN ('MILD', 'MODERATE', 'SEVERE', 'CRITICAL')",
                        name="severity"),
        Index("ix_visits_patient_date", "patient_id", "visit_date"),
        Index("ix_visits_clinician_date", "clinician_id", "visit_date"),
        # One doctor's visits with one patient (the visit history, and the counts in a doctor's patient list).
        Index("ix_visits_clinician_patient_date", "clinician_id", "patient_id", "visit_date"),
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
    diagnosis_notes: Mapped[str | None] = mapped_column(Text)
    # The medication lines (name, strength, frequency, duration, instructions), and the prescription as text: the
    # summary of the lines, or what an edit of the visit wrote in its place.
    prescription: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    prescription_text: Mapped[str | None] = mapped_column(Text)
    prescription_notes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    follow_up_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), server_default="DRAFT")
