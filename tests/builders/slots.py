"""Builders for the slot engine's inputs: dated exceptions and appointments that occupy a clinician's time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.clinicians.models import AvailabilityException, Clinician
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient


async def add_exception(db: AsyncSession, *, clinician: Clinician, kind: str = "UNAVAILABLE", on: date,
                        until: date | None = None, start: time | None = None, end: time | None = None,
                        centre: Centre | None = None, mode: str | None = None, slot_minutes: int | None = None,
                        reason: str | None = None) -> AvailabilityException:
    row = AvailabilityException(organization_id=clinician.organization_id, clinician_id=clinician.id,
                                centre_id=centre.id if centre else None, kind=kind, start_date=on,
                                end_date=until or on, start_time=start, end_time=end, mode=mode,
                                slot_minutes=slot_minutes, reason=reason)
    db.add(row)
    await db.flush()
    return row


async def add_appointment(db: AsyncSession, *, clinician: Clinician, centre: Centre, patient: Patient,
                          starts_at: datetime, minutes: int = 30, status: str = "BOOKED", mode: str = "IN_PERSON",
                          hold_expires_at: datetime | None = None) -> Appointment:
    row = Appointment(organization_id=clinician.organization_id, centre_id=centre.id, clinician_id=clinician.id,
                      patient_id=patient.id, mode=mode, kind="CONSULTATION", starts_at=starts_at,
                      ends_at=starts_at + timedelta(minutes=minutes), duration_minutes=minutes, status=status,
                      source="ADMIN_FRONT_DESK", hold_expires_at=hold_expires_at)
    db.add(row)
    await db.flush()
    return row


def weekday_of(day: date) -> int:
    """Our rule numbering, 0 = Sunday."""
    return (day.weekday() + 1) % 7


def next_date(weekday: int, *, after_days: int = 2, today: date | None = None) -> date:
    """The first date with rule weekday ``weekday`` (0 = Sunday) at least ``after_days`` from today."""
    day = (today or date.today()) + timedelta(days=after_days)
    while weekday_of(day) != weekday:
        day += timedelta(days=1)
    return day
