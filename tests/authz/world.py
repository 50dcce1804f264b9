"""The scoping sweep's world: two organizations, two centres, every kind of principal, and rows they may or may not see.

Organization A is the one the hospital surface serves (its patients sign in there), with centres A1 and A2;
organization B has one centre. Clinician X works alone; clinician Y is also CENTRE_MANAGER of A2. Every appointment
is ONLINE and CONFIRMED, with a Meet link and a paid payment (which also carries a payment link id), so each route
finds what it looks for once the appointment is in scope.

| appointment | patient | clinician | centre |
|---|---|---|---|
| ax1 | p1 | X | A1 |
| ax2 | p2 | X | A2 |
| ay1 | p1 | Y | A1 |
| ay2 | p2 | Y | A2 |
| b1  | p1 | Z (of B) | B1 |

p1 is registered with A and B, p2 with A (and has a registration-fee payment there, with no appointment), p3 with A
and in X's care without an appointment, p4 with A only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import User, UserRole
from clinicops.config import get_settings
from clinicops.organizations.models import Organization
from clinicops.patients.models import CareRelationship, PatientRegistration
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_appointment, make_payment
from tests.builders.people import bearer, make_patient, make_staff


@dataclass(frozen=True)
class Row:
    """An appointment (or a payment) with the ids a route may be called with (0: it has no appointment)."""

    appointment: int
    patient: int
    payment: int
    link: str


@dataclass
class SweepWorld:
    headers: dict[str, dict[str, str]] = field(default_factory=dict)   # principal -> Authorization header
    appointments: dict[str, Row] = field(default_factory=dict)          # ax1 ... b1
    patients: dict[str, int] = field(default_factory=dict)              # p1 ... p4
    payments: dict[str, Row] = field(default_factory=dict)              # ax1 ... b1, and "p2-registration"
    clinician_of: dict[str, int] = field(default_factory=dict)          # appointment -> clinician id
    users: dict[str, int] = field(default_factory=dict)                 # principal -> user id
    ids: dict[str, int] = field(default_factory=dict)                   # org_a, org_b, a1, a2, b1, x, y, z


async def build(db: AsyncSession) -> SweepWorld:
    world = SweepWorld()
    slug = get_settings().default_organization
    org_a = (await db.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()
    org_a = org_a or await make_org(db, slug=slug, name="Served Chain")
    org_b = await make_org(db, name="Other Chain")
    a1 = await make_centre(db, org=org_a, name="Centre A1")
    a2 = await make_centre(db, org=org_a, name="Centre A2", city="kochi")
    b1 = await make_centre(db, org=org_b, name="Centre B1")

    x = await make_clinician(db, org=org_a, centre=a1, full_name="Dr. X Alone")
    y = await make_clinician(db, org=org_a, centre=a1, full_name="Dr. Y Also Manager")
    db.add(UserRole(user_id=y.user_id, role="CENTRE_MANAGER", centre_id=a2.id))
    z = await make_clinician(db, org=org_b, centre=b1, full_name="Dr. Z Elsewhere")

    staff = {
        "admin": await make_staff(db, org=org_a, role="ADMIN"),
        "manager": await make_staff(db, org=org_a, role="MANAGER"),
        "centre_manager": await make_staff(db, org=org_a, role="CENTRE_MANAGER", centres=[a1]),
        "front_desk": await make_staff(db, org=org_a, role="FRONT_DESK", centres=[a1]),
        "care_coordinator": await make_staff(db, org=org_a, role="CARE_COORDINATOR", centres=[a2]),
        "clinician": await db.get(User, x.user_id),
        "clinician_manager": await db.get(User, y.user_id),
        "other_admin": await make_staff(db, org=org_b, role="ADMIN"),
    }
    p1 = await make_patient(db, org=org_a, first_name="Pia")
    db.add(PatientRegistration(organization_id=org_b.id, patient_id=p1.id, mrn=f"B{p1.id:07d}"))
    p2 = await make_patient(db, org=org_a, first_name="Pranav")
    p3 = await make_patient(db, org=org_a, first_name="Parvati")
    p4 = await make_patient(db, org=org_a, first_name="Pooja")
    db.add(CareRelationship(organization_id=org_a.id, clinician_id=x.id, patient_id=p3.id))
    await db.flush()
    staff["patient"] = await db.get(User, p1.user_id)
    world.headers = {name: bearer(user) for name, user in staff.items()}
    world.users = {name: user.id for name, user in staff.items()}
    world.ids = {"org_a": org_a.id, "org_b": org_b.id, "a1": a1.id, "a2": a2.id, "b1": b1.id, "x": x.id, "y": y.id,
                 "z": z.id}
    world.patients = {"p1": p1.id, "p2": p2.id, "p3": p3.id, "p4": p4.id}

    plan = {"ax1": (p1, x, a1), "ax2": (p2, x, a2), "ay1": (p1, y, a1), "ay2": (p2, y, a2), "b1": (p1, z, b1)}
    for name, (patient, clinician, centre) in plan.items():
        appointment = await make_appointment(db, centre=centre, clinician=clinician, patient=patient, mode="ONLINE",
                                             status="CONFIRMED", meet_link=f"https://meet.google.com/swp-{name}-lnk")
        link = f"plink_sweep_{name}"
        payment = await make_payment(db, patient=patient, appointment=appointment, link_id=link)
        world.appointments[name] = Row(appointment.id, patient.id, payment.id, link)
        world.payments[name] = world.appointments[name]
        world.clinician_of[name] = clinician.id
    registration = await make_payment(db, patient=p2, organization_id=org_a.id, amount_paise=100_00,
                                      link_id="plink_sweep_registration")
    world.payments["p2-registration"] = Row(0, p2.id, registration.id, "plink_sweep_registration")
    return world
