"""``clinicops seed --demo``: a hospital chain with three centres, a small clinic, staff, clinicians, patients
and 90 days of history. ``scale`` multiplies clinicians, patients and therefore history (benchmarks).

Loading is one transaction: it happens completely or not at all, and a database that already has the demo
chain is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops import db
from clinicops.auth.models import User, UserRole
from clinicops.auth.passwords import hash_password
from clinicops.clinicians.models import AvailabilityRule, Clinician
from clinicops.kit import phones
from clinicops.kit.timezones import today_in, zone
from clinicops.lifecycle import AppointmentStatus
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import CareRelationship, Patient, PatientRegistration, mrn_of
from clinicops.seed import catalog
from clinicops.seed import clinic as clinic_seed
from clinicops.seed.catalog import ClinicianSeed, StaffSeed
from clinicops.seed.history import Doctor, OrgHistory, Rule, insert_history, plan_history

BASE_PATIENTS = 40
CLINIC_PATIENT_SHARE = 4  # every 4th patient is also registered with the clinic


@dataclass
class SeedResult:
    created: bool
    demo_present: bool
    counts: dict[str, int] = field(default_factory=dict)
    clinic_id: int | None = None  # the demo clinic's organization (its clinicId on /api/v1 is clinic_<id>)

    def summary(self) -> str:
        return ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in self.counts.items())


async def demo_present(session: AsyncSession) -> bool:
    found = await session.scalar(select(func.count()).select_from(Organization).where(
        Organization.slug.in_((catalog.CHAIN_SLUG, catalog.CLINIC_SLUG))))
    return found == 2


async def _clinic_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(Organization.id).where(Organization.slug == catalog.CLINIC_SLUG))


async def seed_if_empty() -> SeedResult:
    """What ``clinicops dev`` does: load the demo only into a database without organizations."""
    async with db.unit_of_work() as session:
        if await session.scalar(select(func.count()).select_from(Organization)):
            return SeedResult(created=False, demo_present=await demo_present(session),
                              clinic_id=await _clinic_id(session))
        counts = await load(session, scale=1)
        clinic_id = await _clinic_id(session)
    return SeedResult(created=True, demo_present=True, counts=counts, clinic_id=clinic_id)


async def seed_demo(*, scale: int = 1) -> SeedResult:
    async with db.unit_of_work() as session:
        exists = await session.scalar(select(func.count()).select_from(Organization).where(
            Organization.slug == catalog.CHAIN_SLUG))
        if exists:
            return SeedResult(created=False, demo_present=await demo_present(session),
                              clinic_id=await _clinic_id(session))
        counts = await load(session, scale=scale)
        clinic_id = await _clinic_id(session)
    return SeedResult(created=True, demo_present=True, counts=counts, clinic_id=clinic_id)


async def load(session: AsyncSession, *, scale: int = 1, seed: int = 20261121) -> dict[str, int]:
    """Insert the whole demo data set through ``session`` (flushes, never commits)."""
    rng = random.Random(seed + scale)
    password_hash = hash_password(catalog.DEMO_PASSWORD)
    chain, centres = await _organization(session, catalog.CHAIN, catalog.CENTRES)
    desk = [await _staff(session, chain, s, centres, password_hash) for s in catalog.CHAIN_STAFF]
    seeds = list(catalog.CHAIN_CLINICIANS) + _extra_clinicians(scale)
    chain_doctors = [await _clinician(session, chain, s, centres, password_hash) for s in seeds]
    clinic, clinic_centres = await _organization(session, catalog.CLINIC, (catalog.CLINIC_CENTRE,))
    clinic_admin = await _staff(session, clinic, catalog.CLINIC_ADMIN, clinic_centres, password_hash)
    clinic_doctors = [await _clinician(session, clinic, s, clinic_centres, password_hash)
                      for s in catalog.CLINIC_DOCTORS]
    clinic_team = clinic_seed.ClinicTeam(clinic, clinic_centres[catalog.CLINIC_CENTRE["city"]].id, clinic_admin.id,
                                         clinic_doctors)
    await clinic_seed.subscribe(session, clinic_team, today_in(zone(clinic.timezone)))
    patients = await _patients(session, BASE_PATIENTS * scale)
    clinic_patients = patients[::CLINIC_PATIENT_SHARE]

    today = today_in(zone(catalog.TIMEZONE))
    chain_plan = OrgHistory(chain.id, chain.timezone, chain_doctors, patients, [u.id for u in desk[2:]],
                            ("WEB_PATIENT", "WEB_PATIENT", "ADMIN_FRONT_DESK", "ADMIN_CARE_COORDINATOR"),
                            past_fill=0.2, future_fill=0.1,
                            registration_fee_paise=chain.registration_fee_paise)
    planned = plan_history(rng, chain_plan, today=today)
    clinic_plan = OrgHistory(clinic.id, clinic.timezone, clinic_doctors, clinic_patients, [clinic_admin.id],
                             ("CLINIC_STAFF", "WHATSAPP", "WALK_IN"), past_fill=0.12, future_fill=0.05,
                             registration_fee_paise=clinic.registration_fee_paise)
    clinic_planned = plan_history(rng, clinic_plan, today=today, start_index=len(planned))
    await _register(session, chain, patients, paid=chain_plan.paid_registration)
    await _register(session, clinic, clinic_patients, paid=set())
    counts = await insert_history(session, planned + clinic_planned)
    await _care_relationships(session, clinic.id, clinic_planned)
    await session.flush()
    known = (await session.execute(select(Patient).where(Patient.id.in_([p for p, _u in clinic_patients]))
                                   .order_by(Patient.id))).scalars().all()
    records = await clinic_seed.load(session, clinic_team, list(known), clinic_planned, today)
    return {"organizations": 2, "centres": len(centres) + 1, "clinicians": len(seeds) + len(clinic_doctors),
            "patients": len(patients), **counts, **records}


async def _organization(session: AsyncSession, fields: dict, centre_fields) -> tuple[Organization, dict]:
    org = Organization(**fields)
    session.add(org)
    await session.flush()
    centres = {}
    for values in centre_fields:
        centre = Centre(organization_id=org.id, timezone=org.timezone, **values)
        session.add(centre)
        centres[values["city"]] = centre
    await session.flush()
    return org, centres


async def _staff(session: AsyncSession, org: Organization, seed: StaffSeed, centres: dict[str, Centre],
                 password_hash: str, role_centres: list[Centre] | None = None) -> User:
    user = User(organization_id=org.id, user_type="STAFF", phone=phones.normalize(seed.phone), username=seed.username,
                full_name=seed.full_name, email=f"{seed.username}@{org.slug}.example.com",
                password_hash=password_hash, is_active=True)
    session.add(user)
    await session.flush()
    scope = role_centres if role_centres is not None else ([centres[seed.city]] if seed.city else [None])
    for centre in scope:
        session.add(UserRole(user_id=user.id, role=seed.role, centre_id=centre.id if centre else None))
    await session.flush()
    return user


async def _clinician(session: AsyncSession, org: Organization, seed: ClinicianSeed, centres: dict[str, Centre],
                     password_hash: str) -> Doctor:
    staff = StaffSeed(seed.username, seed.full_name, "CLINICIAN", seed.phone)
    user = await _staff(session, org, staff, centres, password_hash,
                        role_centres=[centres[city] for city in seed.cities])
    modes = sorted({h.mode for h in seed.hours})
    clinician = Clinician(
        organization_id=org.id, user_id=user.id, primary_centre_id=centres[seed.hours[0].city].id,
        specializations=list(seed.specializations), qualifications=list(seed.qualifications),
        languages=list(seed.languages), expertise=list(seed.expertise), consultation_modes=modes,
        registration_number=seed.registration_number or None, years_of_experience=seed.years,
        consultation_fee_paise=seed.fee_paise, advance_amount_paise=seed.advance_paise,
        daily_token_limit=seed.daily_token_limit, default_duration_minutes=seed.duration, bio=seed.bio)
    session.add(clinician)
    await session.flush()
    rules = [Rule(centres[h.city].id, weekday, h.start, h.end, seed.duration, h.mode)
             for h in seed.hours for weekday in h.weekdays]
    session.add_all([AvailabilityRule(organization_id=org.id, clinician_id=clinician.id, centre_id=r.centre_id,
                                      weekday=r.weekday, start_time=r.start, end_time=r.end,
                                      slot_minutes=r.slot_minutes, mode=r.mode) for r in rules])
    await session.flush()
    return Doctor(clinician.id, user.id, seed.fee_paise, seed.duration, rules)


def _extra_clinicians(scale: int) -> list[ClinicianSeed]:
    """Copies of the base clinicians' profiles and hours, with their own names, logins and phones."""
    extra = []
    base = catalog.CHAIN_CLINICIANS
    for n in range(len(base) * (scale - 1)):
        model = base[n % len(base)]
        first = catalog.FIRST_NAMES[n % len(catalog.FIRST_NAMES)]
        last = catalog.LAST_NAMES[(n // len(catalog.FIRST_NAMES) + n) % len(catalog.LAST_NAMES)]
        extra.append(ClinicianSeed(
            f"dr.extra{n + 1}", f"Dr. {first} {last}", str(catalog.EXTRA_STAFF_PHONE_BASE + n),
            model.specializations, model.qualifications, model.languages, model.fee_paise, model.duration,
            model.years, model.bio, model.hours, expertise=model.expertise))
    return extra


async def _patients(session: AsyncSession, count: int) -> list[tuple[int, int]]:
    """``count`` patients with sign-ins (OTP, no password); returns (patient id, user id) pairs."""
    rng = random.Random(count)
    people = []
    for i in range(count):
        first = catalog.FIRST_NAMES[i % len(catalog.FIRST_NAMES)]
        last = catalog.LAST_NAMES[(i * 7 + i // len(catalog.FIRST_NAMES)) % len(catalog.LAST_NAMES)]
        phone = phones.normalize(str(catalog.PATIENT_PHONE_BASE + i))
        people.append((first, last, phone, f"{first.lower()}.{last.lower()}{i + 1}@example.com"))
    user_ids = list((await session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"organization_id": None, "user_type": "PATIENT", "phone": phone, "email": email,
         "full_name": f"{first} {last}", "is_active": True} for first, last, phone, email in people])).scalars())
    today = today_in(zone(catalog.TIMEZONE))
    rows = []
    for (first, last, phone, email), user_id in zip(people, user_ids, strict=True):
        age = rng.randint(16, 72)
        rows.append({
            "user_id": user_id, "phone": phone, "first_name": first, "last_name": last,
            "full_name": f"{first} {last}", "email": email, "age": age,
            "date_of_birth": today - timedelta(days=age * 365 + rng.randint(0, 364)),
            "gender": rng.choice(("MALE", "FEMALE", "FEMALE", "MALE", "NON_BINARY", "PREFER_NOT_TO_SAY")),
            "blood_group": rng.choice(("A+", "B+", "O+", "AB+", "O-", "B-")),
            "address": f"{rng.randint(1, 300)}, {rng.choice(('MG Road', 'Church Street', 'MG Marg', 'Hill Road'))}",
            "emergency_contact_name": f"{rng.choice(catalog.FIRST_NAMES)} {last}",
            "emergency_contact_phone": phones.normalize(str(catalog.PATIENT_PHONE_BASE + count + i)),
            "allergies": rng.choice(([], [], ["Penicillin"], ["Sulfa drugs"])),
            "chronic_conditions": rng.choice(([], [], ["Hypertension"], ["Hypothyroidism"], ["Asthma"])),
            "medications": [], "is_active": True,
        })
    patient_ids = list((await session.execute(
        insert(Patient).returning(Patient.id, sort_by_parameter_order=True), rows)).scalars())
    return list(zip(patient_ids, user_ids, strict=True))


async def _register(session: AsyncSession, org: Organization, patients: list[tuple[int, int]], *,
                    paid: set[int]) -> None:
    """Registrations as the running system makes them (the one MRN format, ``patients.models.mrn_of``)."""
    await session.execute(insert(PatientRegistration), [
        {"organization_id": org.id, "patient_id": patient_id, "mrn": mrn_of(patient_id),
         "registration_fee_paid": patient_id in paid, "source": "DEMO"}
        for patient_id, _user in patients])


async def _care_relationships(session: AsyncSession, clinic_id: int, planned) -> None:
    """The clinic surface keeps a doctor–patient association for every pair that met."""
    pairs: dict[tuple[int, int], list] = {}
    for item in planned:
        appt = item.appointment
        if appt["status"] == AppointmentStatus.COMPLETED:
            pairs.setdefault((appt["clinician_id"], appt["patient_id"]), []).append(appt["finished_at"])
    if pairs:
        await session.execute(insert(CareRelationship), [
            {"organization_id": clinic_id, "clinician_id": c, "patient_id": p, "since": min(times),
             "visit_count": len(times), "last_visit_at": max(times), "status": "ACTIVE"}
            for (c, p), times in pairs.items()])


def logins_text(clinic_id: int | None = None) -> str:
    """The demo logins, as ``clinicops dev`` and ``clinicops seed --demo`` print them (``clinic_id``: the demo
    clinic's organization, for its clinic surface sign-in)."""
    lines = [f"Demo logins (every staff password: {catalog.DEMO_PASSWORD})",
             f"  hospital chain '{catalog.CHAIN_SLUG}' - username + password, or 10-digit phone + password:"]
    staff = [*catalog.CHAIN_STAFF, *(StaffSeed(c.username, c.full_name, "CLINICIAN", c.phone)
                                     for c in catalog.CHAIN_CLINICIANS)]
    for s in staff:
        scope = f" ({s.city})" if s.city else ""
        lines.append(f"    {s.username:<17} {s.phone}  {s.role}{scope}  {s.full_name}")
    clinic = f"clinicId clinic_{clinic_id}" if clinic_id else "its clinicId: clinic_<organization id>"
    lines.append(f"  clinic '{catalog.CLINIC_SLUG}' on /api/v1 ({clinic}) - WhatsApp number, then OTP + password; "
                 "in development the OTP is shown at /api/dev/messages?phone=<number>:")
    for s in (catalog.CLINIC_ADMIN, *(StaffSeed(d.username, d.full_name, "DOCTOR", d.phone)
                                      for d in catalog.CLINIC_DOCTORS)):
        lines.append(f"    {s.username:<17} +91{s.phone}  {s.role}  {s.full_name}")
    first_patient = str(catalog.PATIENT_PHONE_BASE)
    lines.append(f"  patients sign in with a WhatsApp OTP, e.g. phone 91{first_patient}; in development the code "
                 f"is shown at /api/dev/messages?phone=91{first_patient}")
    return "\n".join(lines)
