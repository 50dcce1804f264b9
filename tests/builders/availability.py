"""Builders for dated exceptions and appointments written straight to the tables (no booking rules applied)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.clinicians.models import AvailabilityException, Clinician
from clinicops.kit.timezones import local_datetime, today_in, zone
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient


def future_weekday(centre: Centre, weekday: int, *, weeks_ahead: int = 1) -> date:
    """A date at least a week ahead (in the centre's zone) falling on ``weekday`` (0 = Sunday)."""
    start = today_in(zone(centre.timezone)) + timedelta(days=7 * weeks_ahead)
    offset = (weekday - (start.isoweekday() % 7)) % 7
    return start + timedelta(days=offset)


async def make_appointment(db: AsyncSession, *, clinician: Clinician, centre: Centre, patient: Patient, day: date,
                           start: time, minutes: int = 30, status: str = "BOOKED", mode: str = "IN_PERSON",
                           source: str = "ADMIN", **fields) -> Appointment:
    """An appointment at wall-clock ``start`` on ``day`` in the centre's zone."""
    starts_at = local_datetime(day, start, zone(centre.timezone))
    appt = Appointment(organization_id=clinician.organization_id, centre_id=centre.id, clinician_id=clinician.id,
                       patient_id=patient.id, mode=mode, kind="CONSULTATION", starts_at=starts_at,
                       ends_at=starts_at + timedelta(minutes=minutes), duration_minutes=minutes, status=status,
                       source=source, **fields)
    db.add(appt)
    await db.flush()
    return appt


async def make_exception(db: AsyncSession, *, clinician: Clinician, day: date, end_day: date | None = None,
                         kind: str = "UNAVAILABLE", start: time | None = None, end: time | None = None,
                         centre: Centre | None = None, mode: str | None = None, reason: str | None = "leave",
                         slot_minutes: int | None = None) -> AvailabilityException:
    row = AvailabilityException(organization_id=clinician.organization_id, clinician_id=clinician.id,
                                centre_id=centre.id if centre else None, kind=kind, start_date=day,
                                end_date=end_day or day, start_time=start, end_time=end, mode=mode, reason=reason,
                                slot_minutes=slot_minutes)
    db.add(row)
    await db.flush()
    return row


def at(day: date, hhmm: str, centre: Centre) -> datetime:
    hour, minute = (int(p) for p in hhmm.split(":"))
    return local_datetime(day, time(hour, minute), zone(centre.timezone))
