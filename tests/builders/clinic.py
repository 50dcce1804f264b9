"""Builders for the clinic surface: a clinic (an organization of kind CLINIC with one centre and a subscription),
its admin and doctors, and signed-in headers for each (a real clinic session: rotating refresh, clinic claims).

    clinic = await make_clinic(db, name="Sunrise Clinic", doctors=2)
    await client.get("/api/v1/clinics/profile", headers=clinic.admin.headers)
    clinic.doctors[0].doctor_id   # "doc_7"
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import sessions
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.http.clinic import ids
from clinicops.kit.timezones import today_in, zone
from clinicops.organizations import plans
from clinicops.organizations.models import Centre, Organization, Subscription
from tests.builders.auth import last_otp
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import PASSWORD, make_staff, next_phone

_seq = itertools.count(1)
WORKDAYS = (1, 2, 3, 4, 5, 6)  # Monday .. Saturday (0 = Sunday)


@dataclass
class Member:
    """A signed-in admin or doctor of a clinic."""

    user: User
    headers: dict[str, str]
    clinician: Clinician | None = None
    phone: str = ""
    password: str = PASSWORD

    @property
    def user_id(self) -> str:
        return ids.render(ids.USER, self.user.id)

    @property
    def doctor_id(self) -> str:
        assert self.clinician is not None, "not a doctor"
        return ids.render(ids.DOCTOR, self.clinician.id)


@dataclass
class Clinic:
    org: Organization
    centre: Centre
    admin: Member
    doctors: list[Member] = field(default_factory=list)

    @property
    def clinic_id(self) -> str:
        return ids.render(ids.CLINIC, self.org.id)


async def clinic_headers(db: AsyncSession, user: User) -> dict[str, str]:
    """A bearer header from a real clinic session (as verify-login starts one)."""
    tokens = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    return {"Authorization": f"Bearer {tokens.access_token}"}


async def add_subscription(db: AsyncSession, org: Organization, plan: str = "PROFESSIONAL") -> Subscription:
    return await plans.start_subscription(db, org.id, plan, today_in(zone(org.timezone)))


async def add_doctor(db: AsyncSession, clinic: Clinic, *, full_name: str | None = None, phone: str | None = None,
                     weekdays: tuple[int, ...] = WORKDAYS, start: time = time(9, 0), end: time = time(17, 0),
                     slot_minutes: int = 15, **fields) -> Member:
    """A doctor of ``clinic`` with weekly hours at its centre, signed in."""
    clinician = await make_clinician(db, org=clinic.org, centre=clinic.centre,
                                     full_name=full_name or f"Dr. Doctor {next(_seq)}", duration=slot_minutes,
                                     weekdays=weekdays, start=start, end=end, slot_minutes=slot_minutes, **fields)
    user = await db.get(User, clinician.user_id)
    if phone is not None:
        user.phone = phone
        await db.flush()
    member = Member(user=user, headers=await clinic_headers(db, user), clinician=clinician, phone=user.phone)
    clinic.doctors.append(member)
    return member


async def make_clinic(db: AsyncSession, *, name: str | None = None, plan: str = "PROFESSIONAL", doctors: int = 2,
                      admin_phone: str | None = None, timezone: str = "Asia/Kolkata") -> Clinic:
    """An ACTIVE clinic with its one centre, a subscription, a signed-in admin and ``doctors`` signed-in doctors."""
    number = next(_seq)
    org = await make_org(db, name=name or f"Clinic {number}", kind="CLINIC", cities=(), registration_fee_paise=0,
                         timezone=timezone, slug=f"clinic-{number}-{next_phone()[-6:]}",
                         address=f"{number} Main St, Mumbai", phone=admin_phone or next_phone(),
                         whatsapp_number=admin_phone)
    centre = await make_centre(db, org=org, name=org.name, city="mumbai", timezone=timezone)
    await add_subscription(db, org, plan)
    admin_user = await make_staff(db, org=org, role="ADMIN", phone=admin_phone or org.phone,
                                  full_name=f"Admin of {org.name}")
    if org.whatsapp_number is None:
        org.whatsapp_number = admin_user.phone
        await db.flush()
    clinic = Clinic(org=org, centre=centre,
                    admin=Member(user=admin_user, headers=await clinic_headers(db, admin_user),
                                 phone=admin_user.phone))
    for _ in range(doctors):
        await add_doctor(db, clinic)
    return clinic


async def clinic_login(client, db: AsyncSession, *, clinic_id: str, phone: str, password: str = PASSWORD) -> dict:
    """Both login steps through HTTP (the code read from the outbox); returns verify-login's data."""
    response = await client.post("/api/v1/auth/clinic/login", json={"whatsappNumber": phone, "clinicId": clinic_id})
    assert response.status_code == 200, response.text
    request_id = response.json()["data"]["loginRequestId"]
    response = await client.post("/api/v1/auth/clinic/verify-login", json={
        "loginRequestId": request_id, "otp": await last_otp(db, phone), "password": password})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
