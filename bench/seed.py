"""Benchmark data: one public chain with many clinicians, weekly rules, exceptions and a month of bookings.

Written with Core inserts (fast at scale) straight into the schema the migrations created. A database
that already holds the organization is reused as it is (a kept ``--data-dir``); note its bookings then start on
the day it was seeded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User, UserRole
from clinicops.clinicians.models import AvailabilityException, AvailabilityRule, Clinician
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient

CITIES = ("bangalore", "kochi", "mumbai")
DAY_START, DAY_END, SLOT_MINUTES = time(9), time(19), 15  # 40 in-person slots a day


@dataclass
class Seeded:
    centre_ids: list[int]
    clinicians: list[tuple[int, int]]  # (clinician id, centre id)
    appointments: int


async def existing(session: AsyncSession, *, slug: str) -> Seeded | None:
    """What an earlier run seeded in this database (a kept ``--data-dir``), or None."""
    org_id = (await session.execute(select(Organization.id).where(Organization.slug == slug))).scalar_one_or_none()
    if org_id is None:
        return None
    centre_ids = list((await session.execute(select(Centre.id).where(Centre.organization_id == org_id))).scalars())
    clinicians = [tuple(r) for r in await session.execute(select(Clinician.id, Clinician.primary_centre_id).where(
        Clinician.organization_id == org_id).order_by(Clinician.id))]
    booked = (await session.execute(select(func.count()).select_from(Appointment).where(
        Appointment.organization_id == org_id))).scalar_one()
    return Seeded(centre_ids, clinicians, booked)


async def seed(session: AsyncSession, *, slug: str, scale: int, days: int = 62, seed_value: int = 7) -> Seeded:
    rng = random.Random(seed_value)
    found = await existing(session, slug=slug)
    if found is not None:
        return found
    org_id = (await session.execute(insert(Organization).values(
        slug=slug, name="Bench Hospital", kind="CHAIN").returning(Organization.id))).scalar_one()
    centre_ids = [(await session.execute(insert(Centre).values(
        organization_id=org_id, name=f"Bench {city.title()}", city=city, timezone="Asia/Kolkata").returning(
        Centre.id))).scalar_one() for city in CITIES]
    clinicians: list[tuple[int, int]] = []
    for n in range(10 * scale):
        centre_id = centre_ids[n % len(centre_ids)]
        user_id = (await session.execute(insert(User).values(
            organization_id=org_id, user_type="STAFF", phone=f"+9197{n:08d}", full_name=f"Dr. Bench {n}").returning(
            User.id))).scalar_one()
        await session.execute(insert(UserRole).values(user_id=user_id, role="CLINICIAN", centre_id=centre_id))
        clinician_id = (await session.execute(insert(Clinician).values(
            organization_id=org_id, user_id=user_id, primary_centre_id=centre_id, consultation_fee_paise=150000,
            specializations=["Psychiatry"], qualifications=["MBBS", "MD"], languages=["English", "Hindi"],
            bio="Benchmark clinician").returning(Clinician.id))).scalar_one()
        clinicians.append((clinician_id, centre_id))
        rules = [dict(organization_id=org_id, clinician_id=clinician_id, centre_id=centre_id, weekday=wd,
                      start_time=DAY_START, end_time=DAY_END, slot_minutes=SLOT_MINUTES, mode="IN_PERSON")
                 for wd in range(1, 7)]
        rules += [dict(organization_id=org_id, clinician_id=clinician_id, centre_id=centre_id, weekday=wd,
                       start_time=time(19), end_time=time(21), slot_minutes=30, mode="ONLINE") for wd in (2, 4)]
        await session.execute(insert(AvailabilityRule), rules)
        today = date.today()
        away = today + timedelta(days=rng.randint(3, 40))
        await session.execute(insert(AvailabilityException).values(
            organization_id=org_id, clinician_id=clinician_id, kind="UNAVAILABLE", start_date=away, end_date=away))
        await session.execute(insert(AvailabilityException).values(
            organization_id=org_id, clinician_id=clinician_id, centre_id=centre_id, kind="UNAVAILABLE",
            start_date=away + timedelta(days=1), end_date=away + timedelta(days=1), start_time=time(13, 10),
            end_time=time(14, 5)))
    patient_ids = await _patients(session, org_id, 50 * scale)
    booked = await _appointments(session, rng, org_id, clinicians, patient_ids, days)
    return Seeded(centre_ids, clinicians, booked)


async def _patients(session: AsyncSession, org_id: int, count: int) -> list[int]:
    rows = [dict(phone=f"+9196{n:08d}", first_name="Bench", last_name=f"Patient{n}", full_name=f"Bench Patient{n}")
            for n in range(count)]
    return list((await session.execute(insert(Patient).returning(Patient.id), rows)).scalars())


async def _appointments(session: AsyncSession, rng: random.Random, org_id: int, clinicians, patient_ids,
                        days: int) -> int:
    """About a third of each working day's slots booked, from today on."""
    tz = ZoneInfo("Asia/Kolkata")
    rows = []
    for clinician_id, centre_id in clinicians:
        for offset in range(days):
            day = date.today() + timedelta(days=offset)
            if (day.weekday() + 1) % 7 == 0:
                continue
            for k in sorted(rng.sample(range(40), 13)):
                starts_at = datetime.combine(day, DAY_START, tzinfo=tz) + timedelta(minutes=SLOT_MINUTES * k)
                rows.append(dict(organization_id=org_id, centre_id=centre_id, clinician_id=clinician_id,
                                 patient_id=rng.choice(patient_ids), mode="IN_PERSON", kind="CONSULTATION",
                                 starts_at=starts_at, ends_at=starts_at + timedelta(minutes=SLOT_MINUTES),
                                 duration_minutes=SLOT_MINUTES, status=rng.choice(["BOOKED", "CONFIRMED"]),
                                 source="ADMIN_FRONT_DESK", fee_paise=150000))
    for chunk in range(0, len(rows), 2000):
        await session.execute(insert(Appointment), rows[chunk:chunk + 2000])
    return len(rows)
