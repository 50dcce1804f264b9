from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text)
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin

STATUSES = ("BOOKED", "CONFIRMED", "RESCHEDULED", "CHECKED_IN", "WAITING", "CURRENT", "IN_PROGRESS",
            "COMPLETED", "CANCELLED", "NO_SHOW", "SKIPPED")
# Statuses that no longer occupy the clinician's time.
RELEASED_STATUSES = ("CANCELLED", "RESCHEDULED", "NO_SHOW", "SKIPPED")
ACTIVE_PREDICATE = "status NOT IN ('CANCELLED', 'RESCHEDULED', 'NO_SHOW', 'SKIPPED')"
KINDS = ("CONSULTATION", "FOLLOW_UP", "INPATIENT_ASSESSMENT", "WALK_IN")
SOURCES = ("WEB_PATIENT", "ADMIN_FRONT_DESK", "ADMIN_CARE_COORDINATOR", "ADMIN_MANAGER", "ADMIN",
           "CLINICIAN", "WHATSAPP", "WALK_IN", "CLINIC_STAFF")


class Appointment(IdMixin, TimestampMixin, OrgMixin, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("status IN " + str(STATUSES), name="status"),
        CheckConstraint("mode IN ('IN_PERSON', 'ONLINE')", name="mode"),
        CheckConstraint("kind IN " + str(KINDS), name="kind"),
        CheckConstraint("source IN " + str(SOURCES), name="source"),
        CheckConstraint("starts_at IS NULL OR ends_at > starts_at", name="times"),
        CheckConstraint("kind = 'WALK_IN' OR starts_at IS NOT NULL", name="scheduled_has_time"),
        CheckConstraint("fee_paise >= 0", name="fee"),
        Index("ix_appointments_clinician_starts", "clinician_id", "starts_at"),
        Index("ix_appointments_centre_starts", "centre_id", "starts_at"),
        Index("ix_appointments_patient_starts", "patient_id", "starts_at"),
        Index("ix_appointments_org_starts", "organization_id", "starts_at"),
        Index("ix_appointments_hold_expiry", "hold_expires_at", postgresql_where=text("hold_expires_at IS NOT NULL")),
        Index("uq_appointments_queue_token", "queue_id", "token_number", unique=True,
              postgresql_where=text("queue_id IS NOT NULL")),
    )

    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centres.id"))
    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clinicians.id"))
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    mode: Mapped[str] = mapped_column(String(10), server_default="IN_PERSON")
    kind: Mapped[str] = mapped_column(String(24), server_default="CONSULTATION")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="BOOKED")
    source: Mapped[str] = mapped_column(String(24))
    parent_appointment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("appointments.id"))
    booked_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    fee_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    meet_link: Mapped[str | None] = mapped_column(Text)
    meet_event_id: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    queue_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("queues.id"))
    token_number: Mapped[int | None] = mapped_column(Integer)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class AppointmentEvent(IdMixin, OrgMixin, Base):
    """Append-only status history: who moved an appointment from what to what, and why."""

    __tablename__ = "appointment_events"

    appointment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(40), server_default="SYSTEM")
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
