"""Builders for a patient's record: appointments, payments and notes (rows written directly, no rules applied)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.kit.timezones import utcnow
from clinicops.organizations.models import Centre
from clinicops.patients.models import ClinicalNote, Patient
from clinicops.payments.models import Payment

_hours = itertools.count(0)


async def make_appointment(db: AsyncSession, *, centre: Centre, clinician: Clinician, patient: Patient,
                           starts_at: datetime | None = None, minutes: int = 30, status: str = "BOOKED",
                           mode: str = "IN_PERSON", fee_paise: int = 1500_00, **fields) -> Appointment:
    # Each default start is a different hour, so a clinician's appointments never overlap by accident.
    starts_at = starts_at or (utcnow() + timedelta(days=2, hours=next(_hours))).replace(microsecond=0)
    appointment = Appointment(organization_id=centre.organization_id, centre_id=centre.id,
                              clinician_id=clinician.id, patient_id=patient.id, starts_at=starts_at,
                              ends_at=starts_at + timedelta(minutes=minutes), duration_minutes=minutes,
                              status=status, mode=mode, source="ADMIN_FRONT_DESK", fee_paise=fee_paise, **fields)
    db.add(appointment)
    await db.flush()
    return appointment


async def make_payment(db: AsyncSession, *, patient: Patient, appointment: Appointment | None = None,
                       organization_id: int | None = None, amount_paise: int = 1600_00, status: str = "SUCCESS",
                       **fields) -> Payment:
    payment = Payment(organization_id=organization_id or appointment.organization_id, patient_id=patient.id,
                      appointment_id=appointment.id if appointment else None, provider="OFFLINE",
                      amount_paise=amount_paise, status=status, method="CASH",
                      paid_at=utcnow() if status == "SUCCESS" else None, **fields)
    db.add(payment)
    await db.flush()
    return payment


async def make_note(db: AsyncSession, *, patient: Patient, author: User, text: str = "Follow up in two weeks",
                    is_private: bool = False) -> ClinicalNote:
    note = ClinicalNote(organization_id=author.organization_id, patient_id=patient.id, author_user_id=author.id,
                        body=text, is_private=is_private)
    db.add(note)
    await db.flush()
    return note
