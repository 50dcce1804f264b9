"""The demo data: what `clinicops dev` shows a new engineer, consistent with every rule of the schema."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.lifecycle import can_change
from clinicops.auth.models import ROLES, User, UserRole
from clinicops.auth.passwords import verify_password
from clinicops.clinicians.models import AvailabilityRule, Clinician
from clinicops.kit import phones
from clinicops.kit.timezones import utcnow
from clinicops.organizations.models import Centre, Organization, Subscription
from clinicops.patients.models import Patient, PatientRegistration, mrn_of
from clinicops.payments.models import Payment
from clinicops.seed import catalog, demo


async def test_demo_data(db):
    """One load (it takes a few seconds), then every check on it."""
    counts = await demo.load(db, scale=1)
    chain = (await db.execute(select(Organization).where(Organization.slug == catalog.CHAIN_SLUG))).scalar_one()
    clinic = (await db.execute(select(Organization).where(Organization.slug == catalog.CLINIC_SLUG))).scalar_one()
    seeded = counts, chain, clinic
    await check_chain_has_three_centres_and_one_login_per_role(db, seeded)
    await check_clinicians_have_profiles_and_weekly_rules_in_both_modes(db, seeded)
    await check_patients_have_valid_mobiles_logins_and_registrations(db, seeded)
    await check_history_fits_the_rules_and_tells_a_consistent_story(db, seeded)
    await check_events_and_payments_match_each_appointment(db, seeded)
    await check_clinic_tenant_has_one_centre_an_admin_two_doctors_and_a_plan(db, seeded)
    await check_each_organization_has_its_own_rules(db, seeded)
    await check_seeded_rows_look_like_the_running_systems(db, seeded)
    await check_seeding_again_does_nothing(db)


async def check_seeded_rows_look_like_the_running_systems(db, seeded):
    """MRNs in the one format registrations get at run time, and payments named by the provider that made them
    (a report grouping by provider must not see "offline" next to "OFFLINE")."""
    registrations = (await db.execute(select(PatientRegistration.patient_id, PatientRegistration.mrn))).all()
    assert registrations and all(mrn == mrn_of(patient_id) for patient_id, mrn in registrations)
    providers = set((await db.execute(select(Payment.provider).distinct())).scalars())
    assert providers and providers <= {"OFFLINE", "DIRECT", "RAZORPAY"}, providers


async def check_each_organization_has_its_own_rules(db, seeded):
    """The chain: the hospital spec's three cities and a ₹100 registration fee; the clinic: Pune, no fee. Every
    centre is in one of its organization's cities, and the history charged each organization's own fee."""
    _counts, chain, clinic = seeded
    assert (chain.cities, chain.registration_fee_paise, chain.free_cancellation_hours) == (
        ["bangalore", "kochi", "mumbai"], 100_00, 24)
    assert (clinic.cities, clinic.registration_fee_paise) == (["pune"], 0)
    for org in (chain, clinic):
        cities = (await db.execute(select(Centre.city).where(Centre.organization_id == org.id))).scalars().all()
        assert cities and set(cities) <= set(org.cities)
        fees = (await db.execute(select(Payment.registration_fee_paise).where(
            Payment.organization_id == org.id, Payment.registration_fee_paise > 0))).scalars().all()
        assert set(fees) == ({org.registration_fee_paise} if org.registration_fee_paise else set())


async def check_chain_has_three_centres_and_one_login_per_role(db, seeded):
    _counts, chain, _clinic = seeded
    centres = (await db.execute(select(Centre).where(Centre.organization_id == chain.id))).scalars().all()
    assert chain.kind == "CHAIN"
    assert sorted(c.city for c in centres) == ["bangalore", "kochi", "mumbai"]
    assert {c.timezone for c in centres} == {"Asia/Kolkata"}
    bangalore = next(c.id for c in centres if c.city == "bangalore")
    rows = (await db.execute(select(User, UserRole).join(UserRole, UserRole.user_id == User.id)
                             .where(User.organization_id == chain.id))).all()
    by_role = defaultdict(list)
    for user, role in rows:
        by_role[role.role].append((user, role.centre_id))
    assert set(by_role) == set(ROLES)
    for seed in catalog.CHAIN_STAFF:
        ((user, centre_id),) = by_role[seed.role]
        assert user.username == seed.username
        assert centre_id == (bangalore if seed.city else None)
        assert verify_password(catalog.DEMO_PASSWORD, user.password_hash)
    assert any(u.username == catalog.DEMO_CLINICIAN_LOGIN for u, _ in by_role["CLINICIAN"])


async def check_clinicians_have_profiles_and_weekly_rules_in_both_modes(db, seeded):
    _counts, chain, _clinic = seeded
    clinicians = (await db.execute(select(Clinician).where(Clinician.organization_id == chain.id))).scalars().all()
    assert len(clinicians) == len(catalog.CHAIN_CLINICIANS) >= 6
    for clinician in clinicians:
        assert clinician.specializations and clinician.qualifications and clinician.languages and clinician.bio
        assert clinician.consultation_fee_paise > 0 and clinician.default_duration_minutes in (30, 50)
    rules = (await db.execute(select(AvailabilityRule).where(AvailabilityRule.organization_id == chain.id)))
    rules = rules.scalars().all()
    assert {r.mode for r in rules} == {"IN_PERSON", "ONLINE"}
    assert {r.weekday for r in rules} == {1, 2, 3, 4, 5, 6}  # Monday to Saturday
    assert {r.clinician_id for r in rules} == {c.id for c in clinicians}


async def check_patients_have_valid_mobiles_logins_and_registrations(db, seeded):
    _counts, chain, _clinic = seeded
    patients = (await db.execute(select(Patient))).scalars().all()
    assert len(patients) == demo.BASE_PATIENTS
    assert all(phones.normalize(p.phone) == p.phone for p in patients)
    users = {u.id: u for u in (await db.execute(select(User).where(User.user_type == "PATIENT"))).scalars()}
    assert all(users[p.user_id].phone == p.phone for p in patients)
    registered = await db.scalar(select(func.count()).select_from(PatientRegistration)
                                 .where(PatientRegistration.organization_id == chain.id))
    assert registered == len(patients)


async def check_history_fits_the_rules_and_tells_a_consistent_story(db, seeded):
    counts, chain, _clinic = seeded
    now = utcnow()
    appointments = (await db.execute(select(Appointment).where(Appointment.organization_id == chain.id)))
    appointments = appointments.scalars().all()
    past = [a for a in appointments if a.starts_at < now]
    assert len(past) > 300 and min(a.starts_at for a in past) >= now - timedelta(days=92)
    statuses = {a.status for a in past}
    assert {"COMPLETED", "CANCELLED", "NO_SHOW"} <= statuses <= {"COMPLETED", "CANCELLED", "NO_SHOW"}
    assert sum(a.status == "COMPLETED" for a in past) > len(past) / 2
    assert all(a.status == "CONFIRMED" for a in appointments if a.starts_at > now)

    rules = defaultdict(list)
    for rule in (await db.execute(select(AvailabilityRule))).scalars():
        rules[(rule.clinician_id, rule.centre_id, rule.mode, rule.weekday)].append(rule)
    tz = ZoneInfo(catalog.TIMEZONE)
    for appt in appointments:
        local = appt.starts_at.astimezone(tz)
        candidates = rules[(appt.clinician_id, appt.centre_id, appt.mode, local.isoweekday() % 7)]
        assert any(_fits(local, appt.duration_minutes, r) for r in candidates), appt.id
    assert counts["appointments"] >= len(appointments)


def _fits(local: datetime, minutes: int, rule: AvailabilityRule) -> bool:
    start = datetime.combine(local.date(), rule.start_time, tzinfo=local.tzinfo)
    end = datetime.combine(local.date(), rule.end_time, tzinfo=local.tzinfo)
    offset = (local - start).total_seconds() / 60
    return start <= local and local + timedelta(minutes=minutes) <= end and offset % rule.slot_minutes == 0


async def check_events_and_payments_match_each_appointment(db, seeded):
    _counts, chain, _clinic = seeded
    appointments = {a.id: a for a in (await db.execute(
        select(Appointment).where(Appointment.organization_id == chain.id))).scalars()}
    events = defaultdict(list)
    for event in (await db.execute(select(AppointmentEvent).order_by(AppointmentEvent.created_at,
                                                                    AppointmentEvent.id))).scalars():
        events[event.appointment_id].append(event)
    for appt_id, appt in appointments.items():
        chain_of = events[appt_id]
        assert chain_of[0].from_status is None and chain_of[0].to_status == "BOOKED"
        for before, after in zip(chain_of, chain_of[1:]):
            assert after.from_status == before.to_status and can_change(before.to_status, after.to_status)
        assert chain_of[-1].to_status == appt.status
    payments = {p.appointment_id: p for p in (await db.execute(
        select(Payment).where(Payment.organization_id == chain.id))).scalars()}
    for appt_id, appt in appointments.items():
        if appt.status in ("COMPLETED", "NO_SHOW", "CONFIRMED"):
            payment = payments[appt_id]
            assert payment.status == "SUCCESS" and payment.paid_at is not None
            assert payment.amount_paise == payment.consultation_fee_paise + payment.registration_fee_paise
            assert payment.consultation_fee_paise == appt.fee_paise
    first_fees = defaultdict(int)
    for payment in payments.values():
        first_fees[payment.patient_id] += payment.registration_fee_paise > 0
    assert set(first_fees.values()) == {1}  # the registration fee is charged once per patient


async def check_clinic_tenant_has_one_centre_an_admin_two_doctors_and_a_plan(db, seeded):
    _counts, _chain, clinic = seeded
    assert clinic.kind == "CLINIC"
    centres = await db.scalar(select(func.count()).select_from(Centre).where(Centre.organization_id == clinic.id))
    assert centres == 1
    roles = (await db.execute(select(UserRole.role).join(User, User.id == UserRole.user_id)
                              .where(User.organization_id == clinic.id))).scalars().all()
    assert sorted(roles) == ["ADMIN", "CLINICIAN", "CLINICIAN"]
    doctors = (await db.execute(select(Clinician).where(Clinician.organization_id == clinic.id))).scalars().all()
    assert len(doctors) == 2
    rules = await db.scalar(select(func.count()).select_from(AvailabilityRule)
                            .where(AvailabilityRule.organization_id == clinic.id))
    assert rules > 0
    plan = (await db.execute(select(Subscription).where(Subscription.organization_id == clinic.id))).scalar_one()
    assert plan.plan in ("BASIC", "PROFESSIONAL") and plan.max_doctors >= len(doctors)


async def check_seeding_again_does_nothing(db):
    before = await db.scalar(select(func.count()).select_from(Appointment))
    result = await demo.seed_demo()
    assert result.created is False and result.demo_present is True
    assert await db.scalar(select(func.count()).select_from(Appointment)) == before


def test_scale_adds_clinicians_with_their_own_logins_and_phones():
    extra = demo._extra_clinicians(3)
    assert len(extra) == 2 * len(catalog.CHAIN_CLINICIANS)
    base = catalog.CHAIN_CLINICIANS
    usernames = [c.username for c in (*base, *extra)]
    staff_phones = [c.phone for c in (*base, *extra)] + [s.phone for s in catalog.CHAIN_STAFF]
    assert len(set(usernames)) == len(usernames) and len(set(staff_phones)) == len(staff_phones)
    assert all(phones.normalize(p) for p in staff_phones)
    assert demo._extra_clinicians(1) == []
