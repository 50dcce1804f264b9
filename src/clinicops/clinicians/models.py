from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, SmallInteger,
                        String, Text, Time, func, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin

MODES = "('IN_PERSON', 'ONLINE')"


class Clinician(IdMixin, TimestampMixin, OrgMixin, Base):
    __tablename__ = "clinicians"
    __table_args__ = (
        CheckConstraint("consultation_fee_paise >= 0 AND advance_amount_paise >= 0", name="money"),
        CheckConstraint("default_duration_minutes BETWEEN 5 AND 480", name="duration"),
        CheckConstraint("daily_token_limit IS NULL OR daily_token_limit > 0", name="token_limit"),
        CheckConstraint("work_start_time IS NULL OR work_end_time IS NULL OR work_start_time < work_end_time",
                        name="work_hours"),
        CheckConstraint("(lunch_start_time IS NULL) = (lunch_end_time IS NULL) AND "
                        "(lunch_start_time IS NULL OR lunch_start_time < lunch_end_time)", name="lunch"),
        CheckConstraint("working_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]", name="working_days"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    primary_centre_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("centres.id"), index=True)
    specializations: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    qualifications: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    languages: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    expertise: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    consultation_modes: Mapped[list] = mapped_column(JSONB, server_default=text("'[\"IN_PERSON\", \"ONLINE\"]'::jsonb"))
    registration_number: Mapped[str | None] = mapped_column(String(100))
    years_of_experience: Mapped[int] = mapped_column(Integer, server_default="0")
    consultation_fee_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    advance_amount_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    daily_token_limit: Mapped[int | None] = mapped_column(Integer)
    default_duration_minutes: Mapped[int] = mapped_column(Integer, server_default="30")
    profile_picture_url: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The clinic surface's weekly hours, as the clinic set them (wall clock in the centre's zone); the
    # availability rules are generated from them (clinicians/working_hours.py). Unset for a chain's clinicians,
    # whose rules are edited one by one.
    working_days: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), server_default=text("'{}'::smallint[]"))
    work_start_time: Mapped[time | None] = mapped_column(Time)
    work_end_time: Mapped[time | None] = mapped_column(Time)
    lunch_start_time: Mapped[time | None] = mapped_column(Time)
    lunch_end_time: Mapped[time | None] = mapped_column(Time)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AvailabilityRule(IdMixin, TimestampMixin, OrgMixin, Base):
    """Weekly wall-clock hours of a clinician at a centre, in the centre's zone."""

    __tablename__ = "availability_rules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_time < end_time", name="hours"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 480", name="slot_minutes"),
        CheckConstraint("mode IN " + MODES, name="mode"),
        CheckConstraint("effective_to IS NULL OR effective_from IS NULL OR effective_from <= effective_to",
                        name="effective"),
        Index("ix_availability_rules_clinician_centre", "clinician_id", "centre_id", "weekday"),
    )

    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clinicians.id", ondelete="CASCADE"))
    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centres.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Sunday … 6 = Saturday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer, server_default="30")
    mode: Mapped[str] = mapped_column(String(10), server_default="IN_PERSON")
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class AvailabilityException(IdMixin, OrgMixin, Base):
    """A date (or range) where the clinician is away (UNAVAILABLE) or works extra hours (EXTRA).

    Whole days have no times; slot blocks are UNAVAILABLE exceptions with times.
    """

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        CheckConstraint("kind IN ('UNAVAILABLE', 'EXTRA')", name="kind"),
        CheckConstraint("start_date <= end_date", name="dates"),
        CheckConstraint("(start_time IS NULL) = (end_time IS NULL)", name="times_paired"),
        CheckConstraint("start_time IS NULL OR start_date < end_date OR start_time < end_time", name="hours"),
        CheckConstraint("kind = 'UNAVAILABLE' OR (start_time IS NOT NULL AND centre_id IS NOT NULL)",
                        name="extra_needs_hours"),
        CheckConstraint("mode IS NULL OR mode IN " + MODES, name="mode"),
        CheckConstraint("slot_minutes IS NULL OR slot_minutes BETWEEN 5 AND 480", name="slot_minutes"),
        Index("ix_availability_exceptions_clinician_dates", "clinician_id", "start_date", "end_date"),
    )

    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clinicians.id", ondelete="CASCADE"))
    centre_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("centres.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    mode: Mapped[str | None] = mapped_column(String(10))
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
