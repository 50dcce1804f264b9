"""Builders for clinic billing: a clinic whose subscription started some time ago, with what it used since."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.billing.models import PlanDay
from clinicops.kit.timezones import today_in, zone
from clinicops.organizations.models import Subscription
from tests.builders.clinic import Clinic, make_clinic


async def make_billed_clinic(db: AsyncSession, *, name: str | None = None, plan: str = "PROFESSIONAL",
                             doctors: int = 2, started_days_ago: int = 40) -> Clinic:
    """A clinic (tests/builders/clinic.py) whose subscription started ``started_days_ago`` days ago with its
    ``doctors`` doctors active from then on (so its first cycle has ended)."""
    clinic = await make_clinic(db, name=name, plan=plan, doctors=doctors)
    sub = await subscription_of(db, clinic)
    sub.starts_on = today_in(zone(clinic.org.timezone)) - timedelta(days=started_days_ago)
    db.add(PlanDay(organization_id=clinic.org.id, day=sub.starts_on, plan=sub.plan,
                   price_per_doctor_paise=sub.price_per_doctor_paise, doctors=doctors, peak_doctors=doctors))
    await db.flush()
    return clinic


async def subscription_of(db: AsyncSession, clinic: Clinic) -> Subscription:
    return (await db.execute(select(Subscription).where(Subscription.organization_id == clinic.org.id))).scalar_one()


async def used(db: AsyncSession, clinic: Clinic, day: date, doctors: int, *, plan: str | None = None,
               price_paise: int | None = None) -> None:
    """A change of the clinic's doctors (and plan) on ``day``."""
    sub = await subscription_of(db, clinic)
    db.add(PlanDay(organization_id=clinic.org.id, day=day, plan=plan or sub.plan,
                   price_per_doctor_paise=price_paise or sub.price_per_doctor_paise, doctors=doctors,
                   peak_doctors=doctors))
    await db.flush()
