"""A small hospital world for appointment tests: the served organization, one centre, one clinician with
IN_PERSON mornings and ONLINE afternoons every day, desk staff and two patients."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.config import get_settings
from clinicops.kit.timezones import zone
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff

IN_PERSON_HOURS = (time(9, 0), time(13, 0))
ONLINE_HOURS = (time(14, 0), time(17, 0))


@dataclass
class World:
    org: Organization
    centre: Centre
    clinician: Clinician
    admin: User
    desk: User
    patient: Patient
    patient_user: User
    day: date  # a date three days ahead in the centre's zone: every slot on it is bookable

    def at(self, hhmm: str, day: date | None = None) -> datetime:
        """The instant of a wall-clock time at the centre."""
        return datetime.combine(day or self.day, time.fromisoformat(hhmm), tzinfo=zone(self.centre.timezone))


async def make_world(db: AsyncSession, *, slug: str | None = None, timezone: str = "Asia/Kolkata",
                     fee_paise: int = 1500_00) -> World:
    slug = slug or get_settings().default_organization
    # the served organization may already exist (committed by a race test's setup): reuse it
    org = (await db.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()
    org = org or await make_org(db, slug=slug, timezone=timezone)
    centre = await make_centre(db, org=org, timezone=timezone)
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=tuple(range(7)), start=IN_PERSON_HOURS[0],
                                     end=IN_PERSON_HOURS[1], slot_minutes=30, fee_paise=fee_paise)
    for weekday in range(7):
        await add_rule(db, clinician=clinician, centre=centre, weekday=weekday, start=ONLINE_HOURS[0],
                       end=ONLINE_HOURS[1], slot_minutes=30, mode="ONLINE")
    admin = await make_staff(db, org=org, role="ADMIN", full_name="Asha Admin")
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], full_name="Dev Desk")
    patient = await make_patient(db, org=org)
    day = datetime.now(zone(timezone)).date() + timedelta(days=3)
    return World(org, centre, clinician, admin, desk, patient, await patient_user(db, patient), day)


async def patient_user(db: AsyncSession, patient: Patient) -> User:
    user = await db.get(User, patient.user_id)
    assert user is not None
    return user


async def patient_headers(db: AsyncSession, patient: Patient) -> dict[str, str]:
    return bearer(await patient_user(db, patient))


def staff_body(world: World, *, starts_at: datetime | str, patient: Patient | None = None, **extra) -> dict:
    body = {"patient_id": (patient or world.patient).id, "clinician_id": world.clinician.id,
            "centre_id": world.centre.id, "appointment_type": "IN_PERSON",
            "scheduled_start_at": starts_at if isinstance(starts_at, str) else starts_at.isoformat()}
    body.update(extra)
    return body


def web_body(world: World, *, hhmm: str = "10:00", day: date | None = None, mode: str = "IN_PERSON",
             **extra) -> dict:
    body = {"clinicianId": world.clinician.id, "centreId": world.centre.id, "appointmentType": mode,
            "appointmentDate": (day or world.day).isoformat(), "appointmentTime": hhmm}
    body.update(extra)
    return body


async def book_as_staff(client, world: World, user: User, starts_at: datetime, **extra) -> dict:
    response = await client.post("/api/appointments", json=staff_body(world, starts_at=starts_at, **extra),
                                 headers=bearer(user))
    assert response.status_code == 201, response.text
    return response.json()["data"]
