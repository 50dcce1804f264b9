"""The demo clinic's own records and bill, made through the clinic surface's use cases (what its admin and doctors
would have done): the doctors' working week, the clinic's profile of each of its patients, visit records with
diagnoses, prescriptions and a private note for the consultations that took place, its subscription and its first
two monthly invoices (the older one paid, the newer one open, its payment link sent to the admin by the job
worker).

The appointment history itself is bulk-inserted with the chain's (``seed.history``); only what the clinic surface
shows of it goes through the rules here, so the demo cannot hold a record those rules would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import Principal, Role
from clinicops.billing import service as billing
from clinicops.clinicians.models import Clinician
from clinicops.kit.timezones import zone
from clinicops.lifecycle import AppointmentStatus
from clinicops.organizations import plans
from clinicops.organizations.models import Organization
from clinicops.patients import profiles
from clinicops.patients.models import Patient
from clinicops.seed.catalog import CLINIC_DOCTORS, CLINIC_SUBSCRIPTION
from clinicops.seed.history import Doctor, Planned
from clinicops.visits import service as visits

VISITS_PER_PATIENT = 3  # the latest consultations of each doctor–patient pair get a visit record
BILLED_CYCLES = 2  # the subscription started this many months (and a fortnight) ago

# (complaint, ICD-10 code, severity, medication line, advice); a consultation takes one of these, in turn.
CASES = (
    ("Fever and sore throat for three days", "J06.9", "MILD",
     {"name": "Paracetamol", "strength": "500mg", "frequency": "Three times daily", "duration": "3 days",
      "instructions": "After food"}, "Plenty of fluids; return if the fever lasts beyond three days"),
    ("Headache and dizziness", "I10", "MODERATE",
     {"name": "Amlodipine", "strength": "5mg", "frequency": "Once daily", "duration": "30 days",
      "instructions": "Take in the morning"}, "Monitor blood pressure weekly; less salt"),
    ("Increased thirst and tiredness", "E11.9", "MODERATE",
     {"name": "Metformin", "strength": "500mg", "frequency": "Twice daily", "duration": "30 days",
      "instructions": "With meals"}, "Fasting sugar test before the next visit"),
    ("Heartburn after meals", "K21.9", "MILD",
     {"name": "Pantoprazole", "strength": "40mg", "frequency": "Once daily", "duration": "14 days",
      "instructions": "Before breakfast"}, "Avoid late dinners"),
    ("Wheezing at night", "J45.9", "MODERATE",
     {"name": "Salbutamol inhaler", "strength": "100mcg", "frequency": "As needed", "duration": "30 days",
      "instructions": "Two puffs when breathless"}, "Inhaler technique shown"),
)


@dataclass(frozen=True)
class ClinicTeam:
    clinic: Organization
    centre_id: int
    admin_user_id: int
    doctors: list[Doctor]


def _principal(team: ClinicTeam, user_id: int, role: Role, clinician_id: int | None = None) -> Principal:
    """The signed-in admin or doctor the use cases expect, as a sign-in would build it."""
    centres = None if role == Role.ADMIN else frozenset({team.centre_id})
    return Principal(user_id=user_id, user_type="STAFF", organization_id=team.clinic.id, roles=frozenset({role}),
                     role_centres={role: centres}, clinician_id=clinician_id, organization_kind="CLINIC")


async def working_hours(session: AsyncSession, team: ClinicTeam) -> None:
    """The doctors' week as the clinic surface shows and edits it (working days, hours), from the same catalogue
    hours their weekly rules were made from (the rules keep the evening online hours this form has no field for)."""
    for doctor, seed in zip(team.doctors, CLINIC_DOCTORS, strict=True):
        clinic_hours = next(h for h in seed.hours if h.mode == "IN_PERSON")
        await session.execute(update(Clinician).where(Clinician.id == doctor.clinician_id).values(
            working_days=list(clinic_hours.weekdays), work_start_time=clinic_hours.start,
            work_end_time=clinic_hours.end))


async def subscribe(session: AsyncSession, team: ClinicTeam, today: date) -> None:
    """The clinic's plan, started ``BILLED_CYCLES`` months and a fortnight ago with its two doctors."""
    start = today - timedelta(days=30 * BILLED_CYCLES + 15)
    await plans.start_subscription(session, team.clinic.id, CLINIC_SUBSCRIPTION["plan"], start)


async def load(session: AsyncSession, team: ClinicTeam, patients: list[Patient], planned: list[Planned],
               today: date) -> dict[str, int]:
    """The clinic's patient profiles, visit records and invoices (after its history and associations exist)."""
    admin = _principal(team, team.admin_user_id, Role.ADMIN)
    await working_hours(session, team)
    for patient in patients:
        await profiles.register(session, admin, phone=patient.phone, source="DEMO", profile={
            "full_name": patient.full_name, "date_of_birth": patient.date_of_birth, "gender": patient.gender,
            "blood_group": patient.blood_group, "address": patient.address,
            "emergency_contact": patient.emergency_contact_phone, "allergies": list(patient.allergies),
            "chronic_conditions": list(patient.chronic_conditions)})
    made = await _visits(session, team, planned)
    issued = await billing.issue_due(session, team.clinic.id, today)
    if len(issued) > 1:  # the older invoice was paid by UPI through its link
        await billing.settle(session, issued[0], provider_payment_id=f"pay_demo_inv{issued[0].id}", method="UPI")
    return {"visits": made, "invoices": len(issued)}


async def _visits(session: AsyncSession, team: ClinicTeam, planned: list[Planned]) -> int:
    """A visit record for the latest completed consultations of each pair: complaint and vitals, diagnosis,
    prescription, completed; the doctor's latest visit also gets a private note."""
    tz = zone(team.clinic.timezone)
    latest: dict[tuple[int, int], list[dict]] = {}
    for item in planned:
        appt = item.appointment
        if appt["status"] == AppointmentStatus.COMPLETED:
            latest.setdefault((appt["clinician_id"], appt["patient_id"]), []).append(appt)
    doctors = {d.clinician_id: d for d in team.doctors}
    last_of_doctor: dict[int, tuple[Principal, int]] = {}
    made = 0
    for (clinician_id, patient_id), appts in sorted(latest.items()):
        doctor = _principal(team, doctors[clinician_id].user_id, Role.CLINICIAN, clinician_id)
        for appt in sorted(appts, key=lambda a: a["starts_at"])[-VISITS_PER_PATIENT:]:
            complaint, code, severity, medicine, advice = CASES[made % len(CASES)]
            visit = await visits.create(
                session, doctor, clinician_id, patient_id, visit_date=appt["starts_at"].astimezone(tz).date(),
                chief_complaint=complaint, examination="General examination unremarkable",
                vitals={"blood_pressure": f"{120 + made % 25}/{80 + made % 10}", "pulse": str(68 + made % 15),
                        "temperature": "98.6", "weight": f"{55 + made % 30}kg"})
            await visits.diagnose(session, doctor, visit.id, icd10_code=code, severity=severity)
            await visits.prescribe(session, doctor, visit.id, medications=[medicine], notes=advice)
            await visits.update(session, doctor, visit.id, changes={
                "status": "COMPLETED", "notes": "Explained the diagnosis; review if no better"})
            last_of_doctor[clinician_id] = (doctor, visit.id)
            made += 1
    for doctor, visit_id in last_of_doctor.values():
        await visits.add_note(session, doctor, visit_id, text="Worried about work stress; ask again next visit")
    return made
