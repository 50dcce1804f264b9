"""Builders for payment tests: appointments inserted directly (not through the booking endpoints)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient, make_staff

_slot = itertools.count(1)


async def make_appointment(db: AsyncSession, *, org: Organization, centre: Centre, clinician: Clinician,
                           patient: Patient, status: str = "BOOKED", fee_paise: int | None = None,
                           starts_at: datetime | None = None, hold_minutes: int | None = 15,
                           mode: str = "IN_PERSON", source: str = "WEB_PATIENT", **fields) -> Appointment:
    """A booked appointment in the future (a distinct slot each call) with a live hold by default."""
    if starts_at is None:
        starts_at = (utcnow() + timedelta(days=3, hours=next(_slot))).replace(second=0, microsecond=0)
    appointment = Appointment(
        organization_id=org.id, centre_id=centre.id, clinician_id=clinician.id, patient_id=patient.id,
        mode=mode, kind="CONSULTATION", starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30),
        duration_minutes=30, status=status, source=source,
        fee_paise=clinician.consultation_fee_paise if fee_paise is None else fee_paise,
        hold_expires_at=utcnow() + timedelta(minutes=hold_minutes) if hold_minutes is not None else None,
        **fields)
    db.add(appointment)
    await db.flush()
    return appointment


@dataclass
class Clinic:
    org: Organization
    centre: Centre
    other_centre: Centre
    clinician: Clinician
    patient: Patient
    patient_user: User


async def make_clinic(db: AsyncSession, *, fee_paise: int = 1500_00) -> Clinic:
    """The served organization (the patient website's: its patients pay there) with two centres, a clinician at
    the first, and a registered patient with a login."""
    slug = get_settings().default_organization
    # the served organization may already exist (committed by a race test's setup): reuse it
    org = (await db.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()
    org = org or await make_org(db, slug=slug)
    centre = await make_centre(db, org=org)
    other = await make_centre(db, org=org, city="kochi")
    clinician = await make_clinician(db, org=org, centre=centre, fee_paise=fee_paise)
    patient = await make_patient(db, org=org)
    user = await db.get(User, patient.user_id)
    assert user is not None
    return Clinic(org=org, centre=centre, other_centre=other, clinician=clinician, patient=patient,
                  patient_user=user)


async def make_desk_user(db: AsyncSession, clinic: Clinic, role: str = "FRONT_DESK",
                         centre: Centre | None = None) -> User:
    centres = None if role in ("ADMIN", "MANAGER") else [centre or clinic.centre]
    return await make_staff(db, org=clinic.org, role=role, centres=centres)


# --- Razorpay's side, computed independently of the code under test (hmac over Razorpay's documented inputs) ---

def rzp_hmac(secret: str, message: str | bytes) -> str:
    import hashlib
    import hmac

    data = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def rzp_payment(payment_id: str, *, order_id: str | None, amount: int, status: str = "captured",
                method: str = "upi", **extra) -> dict:
    return {"id": payment_id, "entity": "payment", "amount": amount, "currency": "INR", "status": status,
            "order_id": order_id, "method": method, "captured": status == "captured", "amount_refunded": 0,
            "error_code": extra.pop("error_code", None), "error_description": extra.pop("error_description", None),
            "created_at": 1700000000, **extra}


def rzp_event(event: str, **entities: dict) -> bytes:
    import json

    return json.dumps({"entity": "event", "account_id": "acc_TEST", "event": event, "contains": list(entities),
                       "payload": {name: {"entity": e} for name, e in entities.items()},
                       "created_at": 1700000000}).encode()
