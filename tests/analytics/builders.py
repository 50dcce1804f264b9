"""Keyword builders for dashboard tests: appointments and payments written directly at chosen instants.

(They would live in tests/builders/analytics.py; they sit here while that folder belongs to another change.)
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.clinicians.models import Clinician
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient
from clinicops.payments.models import Payment


async def book(db: AsyncSession, *, centre: Centre, clinician: Clinician, patient: Patient, starts_at: datetime,
               created_at: datetime | None = None, status: str = "BOOKED", kind: str = "CONSULTATION",
               source: str = "WEB_PATIENT", minutes: int = 30) -> Appointment:
    """An appointment at ``starts_at`` booked at ``created_at`` (default: a day before it starts)."""
    appointment = Appointment(
        organization_id=centre.organization_id, centre_id=centre.id, clinician_id=clinician.id,
        patient_id=patient.id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        duration_minutes=minutes, status=status, kind=kind, source=source, fee_paise=clinician.consultation_fee_paise,
        created_at=created_at or starts_at - timedelta(days=1))
    db.add(appointment)
    await db.flush()
    return appointment


async def pay(db: AsyncSession, *, appointment: Appointment, amount_paise: int, paid_at: datetime | None,
              status: str = "SUCCESS", refunded_paise: int = 0) -> Payment:
    payment = Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                      appointment_id=appointment.id, provider="OFFLINE", amount_paise=amount_paise,
                      status=status, method="CASH", paid_at=paid_at, refunded_paise=refunded_paise)
    db.add(payment)
    await db.flush()
    return payment


def local(day, tz: ZoneInfo, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)
