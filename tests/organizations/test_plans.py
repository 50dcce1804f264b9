"""Clinic plans (guide section 4): catalogue, doctor limit (also under concurrency), read-only, features, proration."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from clinicops.billing.models import PlanDay
from clinicops.clinicians.models import Clinician
from clinicops.errors import Conflict, ValidationFailed
from clinicops.kit.timezones import today_in, zone
from clinicops.organizations import plans
from clinicops.organizations.exceptions import FeatureNotInPlan, PlanLimitReached, SubscriptionPastDue
from clinicops.organizations.plans import DayState, Feature, Plan
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org

TODAY = today_in(zone("Asia/Kolkata"))  # the clinics' zone: the day plan changes are recorded on


async def _clinic(db, plan: str = "BASIC", doctors: int = 0):
    org = await make_org(db, kind="CLINIC", cities=())
    centre = await make_centre(db, org=org, city="mumbai")
    sub = await plans.start_subscription(db, org.id, plan, TODAY)
    for n in range(doctors):
        await plans.ensure_doctor_capacity(db, org.id)
        await make_clinician(db, org=org, centre=centre, full_name=f"Dr. {n}")
    return org, centre, sub


def test_catalogue_is_section_4_in_paise():
    assert [(t.plan, t.price_per_doctor_paise, t.max_doctors) for t in plans.CATALOGUE.values()] == [
        (Plan.BASIC, 79_900, 3), (Plan.PROFESSIONAL, 64_900, 10), (Plan.ENTERPRISE, 54_900, 50)]
    assert [plans.plan_for(n) for n in (1, 3, 4, 10, 11, 50)] == [
        Plan.BASIC, Plan.BASIC, Plan.PROFESSIONAL, Plan.PROFESSIONAL, Plan.ENTERPRISE, Plan.ENTERPRISE]


def test_features_come_with_their_plan_and_every_plan_above():
    for feature in (Feature.ADVANCED_ANALYTICS, Feature.CUSTOM_REPORTS):
        assert [plans.has_feature(p, feature) for p in Plan] == [False, True, True]
        assert plans.first_plan_with(feature) == Plan.PROFESSIONAL
    assert all(plans.has_feature(p, Feature.WHATSAPP_NOTIFICATIONS) for p in Plan)
    assert [plans.has_feature(p, Feature.WHITE_LABEL) for p in Plan] == [False, False, True]
    with pytest.raises(ValidationFailed):
        plans.has_feature("GOLD", Feature.BASIC_DASHBOARD)


def test_monthly_cycles_keep_their_day_and_clamp_to_short_months():
    assert plans.cycle_of(date(2026, 1, 15), date(2026, 1, 15)) == (date(2026, 1, 15), date(2026, 2, 15))
    assert plans.cycle_of(date(2026, 1, 15), date(2026, 2, 14)) == (date(2026, 1, 15), date(2026, 2, 15))
    assert plans.cycle_of(date(2026, 1, 15), date(2026, 2, 15)) == (date(2026, 2, 15), date(2026, 3, 15))
    assert plans.cycle_of(date(2026, 1, 31), date(2026, 2, 27)) == (date(2026, 1, 31), date(2026, 2, 28))
    assert plans.cycle_of(date(2026, 1, 31), date(2026, 3, 1)) == (date(2026, 2, 28), date(2026, 3, 31))
    assert plans.cycle_of(date(2025, 12, 10), date(2026, 1, 9)) == (date(2025, 12, 10), date(2026, 1, 10))


def test_a_full_cycle_bills_doctors_times_price_and_a_change_is_prorated_by_days():
    start, end = date(2026, 4, 1), date(2026, 5, 1)  # 30 days
    basic = DayState("BASIC", 79_900, 3, 3)
    assert plans.bill(start, end, basic, {}).amount_paise == 3 * 79_900
    # Day 11 a fourth doctor and the Professional plan: 10 days of 3 × 799, 20 days of 4 × 649.
    changed = plans.bill(start, end, basic, {date(2026, 4, 11): DayState("PROFESSIONAL", 64_900, 4, 4)})
    assert [(l.plan, l.doctors, l.days) for l in changed.lines] == [("BASIC", 3, 10), ("PROFESSIONAL", 4, 20)]
    assert changed.amount_paise == round(3 * 79_900 * 10 / 30) + round(4 * 64_900 * 20 / 30)
    assert changed.doctor_days == 3 * 10 + 4 * 20
    # A doctor added and removed on one day is billed for that day.
    blip = plans.bill(start, end, DayState("BASIC", 79_900, 1, 1), {date(2026, 4, 5): DayState("BASIC", 79_900, 1, 2)})
    assert [(l.doctors, l.days) for l in blip.lines] == [(1, 4), (2, 1), (1, 25)]


async def test_start_subscription_is_active_from_today_and_kept_when_repeated(db):
    org, _, sub = await _clinic(db, "PROFESSIONAL")
    assert (sub.plan, sub.price_per_doctor_paise, sub.max_doctors, sub.status, sub.starts_on) == (
        "PROFESSIONAL", 64_900, 10, "ACTIVE", TODAY)
    again = await plans.start_subscription(db, org.id, "BASIC", TODAY)
    assert again.id == sub.id and again.plan == "PROFESSIONAL"
    with pytest.raises(ValidationFailed):
        await plans.start_subscription(db, org.id, "GOLD", TODAY)


async def test_adding_beyond_the_limit_is_409_naming_plan_and_limit_and_other_clinics_are_untouched(db):
    full, _, _ = await _clinic(db, "BASIC", doctors=3)
    other, _, _ = await _clinic(db, "BASIC", doctors=1)
    with pytest.raises(PlanLimitReached) as refused:
        await plans.ensure_doctor_capacity(db, full.id)
    error = refused.value
    assert error.status == 409 and error.code == "PLAN_LIMIT_REACHED"
    assert "BASIC" in error.message and "3" in error.message
    assert error.params == {"plan": "BASIC", "max_doctors": 3, "current_doctors": 3}
    assert error.details == [{"field": "plan", "message": error.message}]
    await plans.ensure_doctor_capacity(db, other.id, adding=2)  # the other clinic has its own seats
    with pytest.raises(PlanLimitReached):
        await plans.ensure_doctor_capacity(db, other.id, adding=3)


async def test_a_removed_doctor_frees_the_seat(db):
    org, _, _ = await _clinic(db, "BASIC", doctors=3)
    doctor = (await db.execute(select(Clinician).where(Clinician.organization_id == org.id))).scalars().first()
    doctor.is_active = False
    await db.flush()
    await plans.record_doctors(db, org.id)
    await plans.ensure_doctor_capacity(db, org.id)


async def test_a_chain_without_a_plan_has_no_limit_and_is_writable(db):
    chain = await make_org(db)
    await plans.ensure_doctor_capacity(db, chain.id, adding=500)
    await plans.ensure_writable(db, chain.id)


async def test_two_concurrent_adds_cannot_take_the_last_seat_twice(committed):
    factory, _ = committed
    async with factory() as db:
        org, centre, _ = await _clinic(db, "BASIC", doctors=2)
        await db.commit()
        org_id = org.id

    async def add(name: str) -> str:
        async with factory() as db:
            try:
                await plans.ensure_doctor_capacity(db, org_id)
                await asyncio.sleep(0.05)  # the other add runs meanwhile
                await make_clinician(db, org=org, centre=centre, full_name=name)
                await db.commit()
                return "added"
            except PlanLimitReached:
                await db.rollback()
                return "refused"

    outcomes = await asyncio.gather(add("Dr. Left"), add("Dr. Right"))
    assert sorted(outcomes) == ["added", "refused"]
    async with factory() as db:
        assert await plans.active_doctors(db, org_id) == 3


async def test_a_past_due_clinic_is_read_only_until_paid_up_and_only_that_clinic(db):
    late, _, _ = await _clinic(db)
    fine, _, _ = await _clinic(db)
    assert await plans.mark_past_due(db, late.id) is True
    assert await plans.mark_past_due(db, late.id) is False
    with pytest.raises(SubscriptionPastDue) as refused:
        await plans.ensure_writable(db, late.id)
    assert (refused.value.status, refused.value.code) == (402, "SUBSCRIPTION_PAST_DUE")
    await plans.ensure_writable(db, fine.id)
    with pytest.raises(SubscriptionPastDue):  # no new doctor either, whichever surface asks
        await plans.ensure_doctor_capacity(db, late.id)
    assert await plans.mark_paid_up(db, late.id) is True
    await plans.ensure_writable(db, late.id)


async def test_feature_gate_reads_the_clinics_plan(db):
    basic, _, _ = await _clinic(db, "BASIC")
    pro, _, _ = await _clinic(db, "PROFESSIONAL")
    with pytest.raises(FeatureNotInPlan) as refused:
        await plans.ensure_feature(db, basic.id, Feature.ADVANCED_ANALYTICS)
    assert refused.value.status == 403 and "PROFESSIONAL" in refused.value.message
    await plans.ensure_feature(db, pro.id, Feature.ADVANCED_ANALYTICS)


async def test_change_plan_upgrades_at_once_and_refuses_a_plan_below_the_doctors(db):
    org, _, sub = await _clinic(db, "BASIC", doctors=3)
    with pytest.raises(PlanLimitReached):
        await plans.ensure_doctor_capacity(db, org.id)
    change = await plans.change_plan(db, org.id, new_plan="PROFESSIONAL", estimated_doctors=5)
    assert (change.previous.plan, change.new.plan, change.estimated_doctors) == ("BASIC", "PROFESSIONAL", 5)
    assert change.estimated_monthly_saving_paise == (79_900 - 64_900) * 5
    assert (sub.plan, sub.max_doctors, sub.price_per_doctor_paise) == ("PROFESSIONAL", 10, 64_900)
    await plans.ensure_doctor_capacity(db, org.id)  # room now
    assert change.next_billing_on == plans.cycle_of(sub.starts_on, change.effective_on)[1]
    assert change.next_billing_amount_paise > 0
    with pytest.raises(Conflict):
        await plans.change_plan(db, org.id, new_plan="PROFESSIONAL")
    with pytest.raises(ValidationFailed):
        await plans.change_plan(db, org.id, new_plan="ENTERPRISE", estimated_doctors=51)
    with pytest.raises(ValidationFailed):
        await plans.change_plan(db, org.id, new_plan="ENTERPRISE", estimated_doctors=2)
    for n in range(2):
        await make_clinician(db, org=org, centre=(await make_centre(db, org=org, city="mumbai")), full_name=f"X{n}")
    with pytest.raises(PlanLimitReached) as refused:
        await plans.change_plan(db, org.id, new_plan="BASIC")
    assert refused.value.params == {"plan": "BASIC", "max_doctors": 3, "current_doctors": 5}
    assert refused.value.details[0]["field"] == "new_plan"
    assert sub.plan == "PROFESSIONAL"


async def test_plan_days_record_changes_only(db):
    org, _, _ = await _clinic(db, "BASIC", doctors=2)
    rows = (await db.execute(select(func.count()).select_from(PlanDay).where(PlanDay.organization_id == org.id)))
    assert rows.scalar_one() == 1  # today's row, updated in place
    day = (await db.execute(select(PlanDay).where(PlanDay.organization_id == org.id))).scalar_one()
    assert (day.doctors, day.peak_doctors, day.plan) == (2, 2, "BASIC")


async def test_a_downgrade_racing_an_add_never_leaves_more_doctors_than_the_plan_allows(committed):
    factory, _ = committed
    async with factory() as db:
        org, centre, _ = await _clinic(db, "PROFESSIONAL", doctors=3)
        await db.commit()
        org_id = org.id

    async def add() -> str:
        async with factory() as db:
            try:
                await plans.ensure_doctor_capacity(db, org_id)
                await asyncio.sleep(0.05)
                await make_clinician(db, org=org, centre=centre, full_name="Dr. Fourth")
                await db.commit()
                return "added"
            except PlanLimitReached:
                return "add refused"

    async def downgrade() -> str:
        async with factory() as db:
            try:
                await plans.change_plan(db, org_id, new_plan="BASIC")
                await asyncio.sleep(0.05)
                await db.commit()
                return "downgraded"
            except PlanLimitReached:
                return "downgrade refused"

    outcomes = await asyncio.gather(add(), downgrade())
    assert sorted(outcomes) in (["add refused", "downgraded"], ["added", "downgrade refused"])
    async with factory() as db:
        sub = await plans.subscription(db, org_id)
        assert await plans.active_doctors(db, org_id) <= sub.max_doctors
