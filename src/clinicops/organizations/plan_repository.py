"""All SQL of clinic plans: the subscription row (locked to serialise changes), active doctors, plan days."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.billing.models import PlanDay
from clinicops.clinicians.models import Clinician
from clinicops.organizations.models import Organization, Subscription


async def subscription(session: AsyncSession, organization_id: int, *, lock: bool = False) -> Subscription | None:
    stmt = select(Subscription).where(Subscription.organization_id == organization_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def subscription_status(session: AsyncSession, organization_id: int) -> str | None:
    """Only the status (the read-only check runs on every write of the clinic surface)."""
    stmt = select(Subscription.status).where(Subscription.organization_id == organization_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def timezone_of(session: AsyncSession, organization_id: int) -> str | None:
    stmt = select(Organization.timezone).where(Organization.id == organization_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_subscription(session: AsyncSession, subscription: Subscription) -> Subscription:
    session.add(subscription)
    await session.flush()
    await session.refresh(subscription)
    return subscription


async def active_doctors(session: AsyncSession, organization_id: int) -> int:
    """Doctors (clinician profiles) of the organization that are active and not deleted: the plan's seats."""
    stmt = select(func.count()).select_from(Clinician).where(
        Clinician.organization_id == organization_id, Clinician.is_active.is_(True), Clinician.is_deleted.is_(False))
    return int((await session.execute(stmt)).scalar_one())


async def last_plan_day(session: AsyncSession, organization_id: int, on_or_before: date) -> PlanDay | None:
    stmt = (select(PlanDay).where(PlanDay.organization_id == organization_id, PlanDay.day <= on_or_before)
            .order_by(PlanDay.day.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def plan_days(session: AsyncSession, organization_id: int, start: date, end: date) -> list[PlanDay]:
    """Rows of ``[start, end)`` in day order."""
    stmt = (select(PlanDay).where(PlanDay.organization_id == organization_id, PlanDay.day >= start,
                                  PlanDay.day < end).order_by(PlanDay.day))
    return list((await session.execute(stmt)).scalars())


async def upsert_plan_day(session: AsyncSession, *, organization_id: int, day: date, plan: str,
                          price_per_doctor_paise: int, doctors: int, peak_doctors: int) -> None:
    """The day's state after a change; the day's peak only ever grows."""
    stmt = insert(PlanDay).values(organization_id=organization_id, day=day, plan=plan,
                                  price_per_doctor_paise=price_per_doctor_paise, doctors=doctors,
                                  peak_doctors=max(peak_doctors, doctors))
    stmt = stmt.on_conflict_do_update(
        constraint="uq_plan_days_organization_day",
        set_={"plan": stmt.excluded.plan, "price_per_doctor_paise": stmt.excluded.price_per_doctor_paise,
              "doctors": stmt.excluded.doctors,
              "peak_doctors": func.greatest(PlanDay.peak_doctors, stmt.excluded.peak_doctors)})
    await session.execute(stmt)
