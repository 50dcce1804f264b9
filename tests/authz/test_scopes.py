"""Each readable condition of ``authz.scopes``, for every kind of principal, straight against the database.

The sweep (test_scoping_sweep.py) holds the routes to the same rule; this covers the resources no route serves
yet (visits without an appointment, queues and their tokens) and the patient side of each builder.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from clinicops.appointments.models import Appointment
from clinicops.auth.repository import load_identity
from clinicops.authz import scopes
from clinicops.authz.patient_scope import PatientScope
from clinicops.authz.principal import Principal, Role
from clinicops.patients.models import Patient
from clinicops.payments.models import Payment
from clinicops.queues.models import Queue
from clinicops.visits.models import Visit
from tests.authz.test_scoping_sweep import CONDUCTS, PATIENTS, PAYMENTS, SEES
from tests.authz.world import build


async def _principal(db, user_id: int) -> Principal:
    """The principal the request boundary would build for this user (http/deps.py)."""
    identity = await load_identity(db, user_id, None)
    assert identity is not None
    role_centres: dict[Role, set[int] | None] = {}
    for name, centre_id in identity.roles:
        held = role_centres.setdefault(Role(name), set())
        if centre_id is None or held is None:
            role_centres[Role(name)] = None
        else:
            held.add(centre_id)
    return Principal(user_id=identity.user_id, user_type=identity.user_type,
                     organization_id=identity.organization_id, roles=frozenset(role_centres),
                     role_centres={r: frozenset(c) if c is not None else None for r, c in role_centres.items()},
                     clinician_id=identity.clinician_id, patient_id=identity.patient_id)


async def _subjects(db, world) -> dict[str, scopes.Subject]:
    subjects = {name: await _principal(db, user_id) for name, user_id in world.users.items()}
    patient = subjects["patient"]
    assert isinstance(patient, Principal) and patient.patient_id is not None
    subjects["patient"] = PatientScope(patient.patient_id, world.ids["org_a"])  # acts in the served organization
    subjects["patient_without_scope"] = patient  # a patient principal that skipped patient_scope sees nothing
    return subjects


def _named(ids: dict[str, int], found: list[int]) -> set[str]:
    by_id = {row_id: name for name, row_id in ids.items()}
    return {by_id[row_id] for row_id in found if row_id in by_id}


async def test_every_builder_gives_each_principal_its_rows(db):
    world = await build(db)
    ids = world.ids
    # queues: X's at A1 today (ax1 holds token 1 there) and at A2 tomorrow, Y's at A1, Z's at B1; visits: one per
    # appointment, and one X wrote for p3 without an appointment
    queues = {}
    for name, (org, centre, clinician, days) in {
            "qx": ("org_a", "a1", "x", 0), "qx2": ("org_a", "a2", "x", 1), "qy": ("org_a", "a1", "y", 0),
            "qz": ("org_b", "b1", "z", 0)}.items():
        queue = Queue(organization_id=ids[org], centre_id=ids[centre], clinician_id=ids[clinician],
                      queue_date=date.today() + timedelta(days=days))
        db.add(queue)
        await db.flush()
        queues[name] = queue.id
    await db.execute(update(Appointment).where(Appointment.id == world.appointments["ax1"].appointment)
                     .values(queue_id=queues["qx"], token_number=1))
    visits = {}
    for name, row in world.appointments.items():
        org = ids["org_b"] if name == "b1" else ids["org_a"]
        visit = Visit(organization_id=org, appointment_id=row.appointment, clinician_id=world.clinician_of[name],
                      patient_id=row.patient, visit_date=date.today())
        db.add(visit)
        await db.flush()
        visits[name] = visit.id
    lone = Visit(organization_id=ids["org_a"], clinician_id=ids["x"], patient_id=world.patients["p3"],
                 visit_date=date.today())
    db.add(lone)
    await db.flush()
    visits["x-p3"] = lone.id

    appointment_ids = {name: row.appointment for name, row in world.appointments.items()}
    payment_ids = {name: row.payment for name, row in world.payments.items()}
    problems = []
    for who, subject in (await _subjects(db, world)).items():
        expected_who = "patient" if who == "patient_without_scope" else who
        nothing = who == "patient_without_scope"

        async def names(stmt, named: dict[str, int]) -> set[str]:
            return _named(named, list((await db.execute(stmt)).scalars()))

        seen = {
            "appointments": await names(select(Appointment.id).where(scopes.appointments(subject)), appointment_ids),
            "meet links": await names(select(Appointment.id).where(scopes.meet_links(subject)), appointment_ids),
            "tokens": await names(select(Appointment.id).where(scopes.tokens(subject)), appointment_ids),
            "payments": await names(select(Payment.id).where(scopes.payments(subject)), payment_ids),
            "patients": await names(select(Patient.id).where(scopes.patients(subject)), world.patients),
            "visits": await names(select(Visit.id).where(scopes.visits(subject)), visits),
            "queues": await names(select(Queue.id).where(scopes.queues(subject)), queues),
        }
        if isinstance(subject, Principal):
            seen["sessions"] = await names(select(Appointment.id).where(scopes.sessions(subject)), appointment_ids)
        sees = set() if nothing else SEES[expected_who]
        expected = {
            "appointments": sees, "meet links": sees, "tokens": sees & {"ax1"},
            "payments": set() if nothing else PAYMENTS[expected_who],
            "patients": set() if nothing else ({"p1"} if who == "patient" else PATIENTS[who]),
            # a visit without an appointment: its own clinician's, and (a clinic's records) org-wide staff's
            "visits": sees | ({"x-p3"} if who in ("clinician", "admin", "manager") else set()),
            "queues": set() if nothing else {  # the appointments' rule: desk centres, and one's own everywhere
                "admin": {"qx", "qx2", "qy"}, "manager": {"qx", "qx2", "qy"}, "centre_manager": {"qx", "qy"},
                "front_desk": {"qx", "qy"}, "care_coordinator": {"qx2"}, "clinician": {"qx", "qx2"},
                "clinician_manager": {"qy", "qx2"}, "other_admin": {"qz"}, "patient": {"qx"}}[who],
        }
        if isinstance(subject, Principal):
            expected["sessions"] = CONDUCTS.get(who, set())
        for resource, rows in seen.items():
            if rows != expected[resource]:
                problems.append(f"{who} reads {resource} {sorted(rows)}, expected {sorted(expected[resource])}")
    assert not problems, "\n".join(problems)
