"""Builders for messaging and video tests: an appointment with everything a message needs, provider keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.kit.timezones import utcnow
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient


@dataclass
class Booking:
    org: Organization
    centre: Centre
    clinician: Clinician
    clinician_user: User
    patient: Patient
    appointment: Appointment


async def make_booking(db: AsyncSession, *, org: Organization | None = None, centre: Centre | None = None,
                       mode: str = "IN_PERSON", status: str = "CONFIRMED", starts_at: datetime | None = None,
                       minutes: int = 30, hold_expires_at: datetime | None = None,
                       created_at: datetime | None = None, clinician_name: str = "Dr. Meera Iyer",
                       patient_first: str = "Asha", patient_last: str = "Rao") -> Booking:
    """An appointment (written directly: the booking rules are other tests' business) with its people."""
    org = org or await make_org(db)
    centre = centre or await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre, full_name=clinician_name)
    patient = await make_patient(db, org=org, first_name=patient_first, last_name=patient_last)
    starts_at = starts_at or (utcnow() + timedelta(days=3)).replace(microsecond=0)
    appointment = Appointment(
        organization_id=org.id, centre_id=centre.id, clinician_id=clinician.id, patient_id=patient.id, mode=mode,
        kind="CONSULTATION", starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        duration_minutes=minutes, status=status, source="ADMIN", fee_paise=1500_00, hold_expires_at=hold_expires_at)
    if created_at is not None:
        appointment.created_at = created_at
    db.add(appointment)
    await db.flush()
    user = await db.get(User, clinician.user_id)
    return Booking(org=org, centre=centre, clinician=clinician, clinician_user=user, patient=patient,
                   appointment=appointment)


_KEY_PEM: str | None = None


def service_account_json(email: str = "meet-bot@clinicops-test.iam.gserviceaccount.com") -> str:
    """A service-account key file's JSON with a freshly generated RSA key (never a real credential)."""
    global _KEY_PEM
    if _KEY_PEM is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEY_PEM = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
    return json.dumps({
        "type": "service_account", "project_id": "clinicops-test", "private_key_id": "test-key-1",
        "private_key": _KEY_PEM, "client_email": email, "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
