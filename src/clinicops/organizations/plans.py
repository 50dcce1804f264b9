"""Clinic plans (guide section 4): the catalogue, the doctor limit, plan changes, read-only clinics, features.

A clinic has one subscription. Money is paise. Cycles are monthly from the day the subscription started (a
clinic that started on the 31st is billed on the last day of shorter months). What a clinic used is kept in
``plan_days`` (one row per day on which its doctors or its plan changed): a day is billed for the most doctors
active during it, at the price per doctor of the plan in force at its end, and a cycle's bill is the sum of its
days over the days in the cycle (prorated by days). Organizations without a subscription (hospital chains) have
no doctor limit and are never read-only.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.billing.models import PlanDay
from clinicops.errors import Conflict, ValidationFailed
from clinicops.kit.timezones import today_in, zone
from clinicops.organizations import plan_repository as repository
from clinicops.organizations.exceptions import FeatureNotInPlan, PlanLimitReached, SubscriptionPastDue
from clinicops.organizations.models import Subscription


class Plan(StrEnum):
    BASIC = "BASIC"
    PROFESSIONAL = "PROFESSIONAL"
    ENTERPRISE = "ENTERPRISE"


class Feature(StrEnum):
    BASIC_DASHBOARD = "BASIC_DASHBOARD"
    WHATSAPP_NOTIFICATIONS = "WHATSAPP_NOTIFICATIONS"
    STANDARD_SUPPORT = "STANDARD_SUPPORT"
    ADVANCED_ANALYTICS = "ADVANCED_ANALYTICS"
    MULTI_USER_ACCESS = "MULTI_USER_ACCESS"
    PRIORITY_SUPPORT = "PRIORITY_SUPPORT"
    CUSTOM_REPORTS = "CUSTOM_REPORTS"
    DEDICATED_SUPPORT = "DEDICATED_SUPPORT"
    CUSTOM_INTEGRATIONS = "CUSTOM_INTEGRATIONS"
    WHITE_LABEL = "WHITE_LABEL"


@dataclass(frozen=True)
class PlanTerms:
    plan: Plan
    name: str
    price_per_doctor_paise: int
    max_doctors: int
    features: frozenset[Feature]  # each plan has its own and every feature of the plans below it


_BASIC = frozenset({Feature.BASIC_DASHBOARD, Feature.WHATSAPP_NOTIFICATIONS, Feature.STANDARD_SUPPORT})
_PROFESSIONAL = _BASIC | {Feature.ADVANCED_ANALYTICS, Feature.MULTI_USER_ACCESS, Feature.PRIORITY_SUPPORT,
                          Feature.CUSTOM_REPORTS}
CATALOGUE: dict[Plan, PlanTerms] = {  # in order, smallest first
    Plan.BASIC: PlanTerms(Plan.BASIC, "Basic", 799_00, 3, _BASIC),
    Plan.PROFESSIONAL: PlanTerms(Plan.PROFESSIONAL, "Professional", 649_00, 10, _PROFESSIONAL),
    Plan.ENTERPRISE: PlanTerms(Plan.ENTERPRISE, "Enterprise", 549_00, 50, frozenset(Feature)),  # "unlimited"
}


def terms(plan: str, *, field: str = "plan") -> PlanTerms:
    try:
        return CATALOGUE[Plan(plan)]
    except ValueError:
        raise ValidationFailed(field, f"{field} must be one of {', '.join(CATALOGUE)}") from None


def plan_for(doctors: int) -> Plan:
    """Section 4.2: the plan a clinic of ``doctors`` doctors falls in (up to 3 Basic, up to 10 Professional)."""
    return next((t.plan for t in CATALOGUE.values() if doctors <= t.max_doctors), Plan.ENTERPRISE)


def has_feature(plan: str, feature: Feature) -> bool:
    return feature in terms(plan).features


def first_plan_with(feature: Feature) -> Plan:
    return next(t.plan for t in CATALOGUE.values() if feature in t.features)


# --- monthly cycles --------------------------------------------------------------------------------------------

def _months_after(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def cycle_of(starts_on: date, day: date) -> tuple[date, date]:
    """The monthly cycle ``[start, end)`` holding ``day`` of a subscription that started on ``starts_on``."""
    k = max((day.year - starts_on.year) * 12 + day.month - starts_on.month, 0)
    if k and _months_after(starts_on, k) > day:
        k -= 1
    return _months_after(starts_on, k), _months_after(starts_on, k + 1)


# --- proration -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BillLine:
    plan: str
    price_per_doctor_paise: int
    doctors: int
    days: int
    amount_paise: int


@dataclass(frozen=True)
class Bill:
    start: date
    end: date
    lines: tuple[BillLine, ...]

    @property
    def amount_paise(self) -> int:
        return sum(line.amount_paise for line in self.lines)

    @property
    def doctor_days(self) -> int:
        return sum(line.doctors * line.days for line in self.lines)


@dataclass(frozen=True)
class DayState:
    plan: str
    price_per_doctor_paise: int
    doctors: int  # carried to the next days
    peak_doctors: int  # billed for this day


def bill(start: date, end: date, carried: DayState | None, changes: dict[date, DayState]) -> Bill:
    """The bill of ``[start, end)``: each day at its state (``changes`` on the days they happened, otherwise the
    state carried from the day before), grouped into lines; each line is prorated by days over the cycle's days.
    Pure: no SQL, so the price rule is testable by itself."""
    total_days = (end - start).days
    runs: list[list] = []  # [plan, price, doctors, days]
    state = carried
    day = start
    while day < end:
        today = changes.get(day)
        billed = today.peak_doctors if today else (state.doctors if state else 0)
        state = today or state
        if state is not None:
            key = [state.plan, state.price_per_doctor_paise, billed]
            if runs and runs[-1][:3] == key:
                runs[-1][3] += 1
            else:
                runs.append([*key, 1])
        day = date.fromordinal(day.toordinal() + 1)
    lines = tuple(BillLine(plan, price, doctors, days, _prorated(price * doctors * days, total_days))
                  for plan, price, doctors, days in runs if doctors)
    return Bill(start, end, lines)


def _prorated(paise_days: int, total_days: int) -> int:
    return int((Decimal(paise_days) / Decimal(total_days)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _state(row: PlanDay) -> DayState:
    return DayState(row.plan, row.price_per_doctor_paise, row.doctors, row.peak_doctors)


async def bill_for(session: AsyncSession, organization_id: int, start: date, end: date) -> Bill:
    """What the clinic used in ``[start, end)``, priced."""
    carried = await repository.last_plan_day(session, organization_id, date.fromordinal(start.toordinal() - 1))
    rows = await repository.plan_days(session, organization_id, start, end)
    return bill(start, end, _state(carried) if carried else None, {row.day: _state(row) for row in rows})


# --- the subscription ------------------------------------------------------------------------------------------

WRITABLE_STATUSES = frozenset({"TRIAL", "ACTIVE"})  # PAST_DUE (and a cancelled or expired plan): read-only


async def clinic_zone(session: AsyncSession, organization_id: int) -> ZoneInfo:
    return zone(await repository.timezone_of(session, organization_id) or "Asia/Kolkata")


async def clinic_today(session: AsyncSession, organization_id: int) -> date:
    """Today in the clinic's own time zone (cycles and due dates are its calendar days)."""
    return today_in(await clinic_zone(session, organization_id))


async def subscription(session: AsyncSession, organization_id: int, *, lock: bool = False) -> Subscription | None:
    return await repository.subscription(session, organization_id, lock=lock)


async def active_doctors(session: AsyncSession, organization_id: int) -> int:
    return await repository.active_doctors(session, organization_id)


async def start_subscription(session: AsyncSession, organization_id: int, plan: str, today: date) -> Subscription:
    """The clinic's subscription, ACTIVE from ``today`` (its first cycle starts then; billed when it ends).
    A clinic that already has one keeps it (registration may be retried)."""
    chosen = terms(plan)
    existing = await repository.subscription(session, organization_id, lock=True)
    if existing is not None:
        return existing
    created = await repository.add_subscription(session, Subscription(
        organization_id=organization_id, plan=chosen.plan.value, price_per_doctor_paise=chosen.price_per_doctor_paise,
        max_doctors=chosen.max_doctors, billing_cycle="MONTHLY", status="ACTIVE", starts_on=today))
    await _record(session, created, today, await repository.active_doctors(session, organization_id))
    return created


async def _record(session: AsyncSession, sub: Subscription, day: date, doctors: int, peak: int = 0) -> None:
    await repository.upsert_plan_day(session, organization_id=sub.organization_id, day=day, plan=sub.plan,
                                     price_per_doctor_paise=sub.price_per_doctor_paise, doctors=doctors,
                                     peak_doctors=max(peak, doctors))


async def ensure_doctor_capacity(session: AsyncSession, organization_id: int, adding: int = 1) -> None:
    """Refuse (409 naming the plan and its limit) when ``adding`` more active doctors would exceed the plan.

    A read-only clinic (bill overdue) gets 402 first. Locks the subscription row until the transaction ends, so
    two concurrent adds are counted one after the other and cannot both take the last seat; the caller then adds
    the doctor in the same transaction. Records the day's doctors as the count after the add (billing sees the
    seat even if it is removed the same day).
    """
    sub = await repository.subscription(session, organization_id, lock=True)
    if sub is None:
        return
    if sub.status not in WRITABLE_STATUSES:  # whichever surface asks: no new seats while the bill is overdue
        raise SubscriptionPastDue()
    current = await repository.active_doctors(session, organization_id)
    if current + adding > sub.max_doctors:
        raise PlanLimitReached(plan=sub.plan, max_doctors=sub.max_doctors, current_doctors=current)
    await _record(session, sub, await clinic_today(session, organization_id), current + adding)


async def record_doctors(session: AsyncSession, organization_id: int) -> None:
    """Note the clinic's active doctors now (call after a doctor is removed, deactivated or restored; the hourly
    billing round calls it too, so a path that forgot is corrected within the hour). Writes only on a change."""
    sub = await repository.subscription(session, organization_id, lock=True)
    if sub is None:
        return
    today = await clinic_today(session, organization_id)
    doctors = await repository.active_doctors(session, organization_id)
    last = await repository.last_plan_day(session, organization_id, today)
    if last is not None and last.day < today and (last.doctors, last.plan, last.price_per_doctor_paise) == (
            doctors, sub.plan, sub.price_per_doctor_paise):
        return
    await _record(session, sub, today, doctors)


# --- read-only and features ------------------------------------------------------------------------------------

async def is_writable(session: AsyncSession, organization_id: int) -> bool:
    status = await repository.subscription_status(session, organization_id)
    return status is None or status in WRITABLE_STATUSES


async def ensure_writable(session: AsyncSession, organization_id: int) -> None:
    """Refuse a change (402 SUBSCRIPTION_PAST_DUE) while the clinic is read-only for an unpaid bill."""
    if not await is_writable(session, organization_id):
        raise SubscriptionPastDue()


async def ensure_feature(session: AsyncSession, organization_id: int, feature: Feature) -> None:
    """Refuse (403 FEATURE_NOT_IN_PLAN) a feature the clinic's plan does not include."""
    sub = await repository.subscription(session, organization_id)
    if sub is not None and not has_feature(sub.plan, feature):
        raise FeatureNotInPlan(plan=sub.plan, feature=feature.value, required_plan=first_plan_with(feature).value)


async def mark_past_due(session: AsyncSession, organization_id: int) -> bool:
    """The clinic becomes read-only (an invoice is unpaid past its grace period); True if it was not already."""
    sub = await repository.subscription(session, organization_id, lock=True)
    if sub is None or sub.status == "PAST_DUE":
        return False
    sub.status = "PAST_DUE"
    await session.flush()
    return True


async def mark_paid_up(session: AsyncSession, organization_id: int) -> bool:
    """The clinic is writable again (its overdue invoices are paid); True if it was read-only."""
    sub = await repository.subscription(session, organization_id, lock=True)
    if sub is None or sub.status != "PAST_DUE":
        return False
    sub.status = "ACTIVE"
    await session.flush()
    return True


# --- changing the plan -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanChange:
    previous: PlanTerms
    new: PlanTerms
    estimated_doctors: int
    effective_on: date
    next_billing_on: date
    next_billing_amount_paise: int  # the next invoice, projected with the estimated doctors from today

    @property
    def estimated_monthly_saving_paise(self) -> int:
        """What a month of the estimated doctors costs less on the new plan (negative: it costs more)."""
        return (self.previous.price_per_doctor_paise - self.new.price_per_doctor_paise) * self.estimated_doctors


async def change_plan(session: AsyncSession, organization_id: int, *, new_plan: str,
                      estimated_doctors: int | None = None) -> PlanChange:
    """Move to another plan, effective today (the rest of the cycle is billed at the new price).

    Refused: the same plan (409), a plan smaller than the clinic's active doctors (409 naming plan and limit), an
    estimate below the active doctors or above the new plan's limit (422)."""
    new = terms(new_plan, field="new_plan")
    sub = await repository.subscription(session, organization_id, lock=True)
    if sub is None:
        raise Conflict("This organization has no clinic subscription")
    previous = terms(sub.plan)
    if new.plan == previous.plan:
        raise Conflict(f"The clinic is already on the {new.plan} plan", reason="plan_unchanged",
                       params={"plan": new.plan.value})
    current = await repository.active_doctors(session, organization_id)
    if current > new.max_doctors:
        raise PlanLimitReached(plan=new.plan.value, max_doctors=new.max_doctors, current_doctors=current,
                               message=f"The {new.plan} plan allows up to {new.max_doctors} doctors and the clinic "
                                       f"has {current} active; remove doctors before moving to it",
                               field="new_plan")
    estimate = current if estimated_doctors is None else estimated_doctors
    if not current <= estimate <= new.max_doctors:
        raise ValidationFailed("estimated_doctors", f"estimated_doctors must be between the {current} active "
                                                    f"doctors and the {new.plan} plan's limit of {new.max_doctors}")
    sub.plan, sub.price_per_doctor_paise, sub.max_doctors = (new.plan.value, new.price_per_doctor_paise,
                                                             new.max_doctors)
    await session.flush()
    today = await clinic_today(session, organization_id)
    await _record(session, sub, today, current)
    start, end = cycle_of(sub.starts_on, today)
    projected = await _projected(session, organization_id, start, end, today, new, estimate)
    return PlanChange(previous, new, estimate, today, end, projected)


async def _projected(session: AsyncSession, organization_id: int, start: date, end: date, today: date,
                     plan: PlanTerms, doctors: int) -> int:
    """The cycle's bill if ``doctors`` doctors are active on ``plan`` from today to its end."""
    carried = await repository.last_plan_day(session, organization_id, date.fromordinal(start.toordinal() - 1))
    rows = {row.day: _state(row) for row in await repository.plan_days(session, organization_id, start, end)}
    ahead = DayState(plan.plan.value, plan.price_per_doctor_paise, doctors, doctors)
    today_row = rows.get(today)
    rows[today] = DayState(ahead.plan, ahead.price_per_doctor_paise, doctors,
                           max(doctors, today_row.peak_doctors if today_row else 0))
    rows = {day: state for day, state in rows.items() if day <= today}
    return bill(start, end, _state(carried) if carried else None, rows).amount_paise
