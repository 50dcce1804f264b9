"""The admin panel's patient, appointment, booking-wizard and front-desk calls (spec/hospital-admin-panel.md), one test
per call, each asserting the fields the panel reads; then the rules behind them: one patient id (colliding numbers),
reschedule in place, status rules, list totals, and the front desk's amount.

The scene has two organizations; the served one has two centres and two clinicians (tests/builders/appointments.py
``make_world`` gives each organization a centre, a clinician with IN_PERSON mornings 09:00-13:00 and ONLINE
afternoons 14:00-17:00 every day, an admin, a front desk and a patient).
"""
from __future__ import annotations

import asyncio
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import event, func, select

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import UTC, utcnow, zone
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient, PatientRegistration
from clinicops.payments.models import Payment
from tests.builders.appointments import World, book_as_staff, make_world, staff_body
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import HOSPITAL_FEE_PAISE, make_centre
from tests.builders.people import bearer, make_patient, make_staff
from tests.builders.slots import add_appointment

_ids = count(1)
FEE = 1500  # make_world's consultation fee, rupees
REGISTRATION = to_rupees(HOSPITAL_FEE_PAISE)  # the served organization's own fee (make_org's default)


@dataclass
class Desk:
    world: World  # the served organization: centre, clinician (Dr. Meera Iyer), admin, front desk, a patient
    centre2: Centre  # its second centre
    clinician2: Clinician  # at the second centre, 09:00-17:00 every day
    doctor: User  # the first clinician's sign-in
    other: World  # another organization, with everything of its own

    def at(self, hhmm: str, day: date | None = None) -> datetime:
        return self.world.at(hhmm, day)


async def _desk(db) -> Desk:
    world = await make_world(db)
    centre2 = await make_centre(db, org=world.org, name="Kochi Centre", city="kochi")
    clinician2 = await make_clinician(db, org=world.org, centre=centre2, full_name="Dr. Ravi Menon",
                                      weekdays=tuple(range(7)))
    other = await make_world(db, slug=f"desk-other-{next(_ids)}")
    return Desk(world, centre2, clinician2, await db.get(User, world.clinician.user_id), other)


@pytest.fixture
async def desk(db) -> Desk:
    return await _desk(db)


def _h(user: User) -> dict[str, str]:
    return bearer(user)


def _error(response) -> tuple[int, str, list]:
    body = response.json()
    assert body["success"] is False and body["message"] == body["error"]["message"]
    return response.status_code, body["error"]["code"], body["error"].get("details") or []


async def _count(db, model) -> int:
    return (await db.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.fixture
def count_sql(engine):
    """``with count_sql() as statements:`` records every statement sent to PostgreSQL (harness savepoints aside)."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
                statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)

    return counting


# ---- patients ------------------------------------------------------------------------------------------------

PATIENT_ROW = {"id", "userId", "user_id", "mrn", "username", "fullName", "phone", "email", "dateOfBirth", "gender",
               "bloodGroup", "emergencyContactName", "emergencyContactPhone", "upcomingAppointmentsCount",
               "pastAppointmentsCount", "upcomingAppointments", "isActive", "createdAt", "updatedAt"}


async def test_get_patients_lists_every_row_with_its_counts_and_next_appointment(client, db, desk, count_sql):
    w = desk.world
    # 45 patients, as in the report: half with appointments (one past, two ahead at either centre), half without
    people = [w.patient] + [await make_patient(db, org=w.org, first_name=f"P{i:02d}", last_name="Kumar")
                            for i in range(44)]
    earlier = utcnow().replace(microsecond=0) - timedelta(days=3)
    for i, person in enumerate(people[::2]):
        await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=person, status="COMPLETED",
                              starts_at=earlier - timedelta(minutes=30 * i))
        await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=person, status="CONFIRMED",
                              starts_at=w.at("09:00", w.day + timedelta(days=i)))
        await add_appointment(db, clinician=desk.clinician2, centre=desk.centre2, patient=person,
                              starts_at=w.at("09:00", w.day + timedelta(days=i + 1)))
    await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=people[1], status="CANCELLED",
                          starts_at=w.at("10:00"))
    elsewhere = await make_patient(db, org=desk.other.org)  # another organization's patient is never listed

    with count_sql() as statements:
        response = await client.get("/api/patients", headers=_h(w.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["data"]
    assert isinstance(rows, list) and len(rows) == 45 == body["total"] == int(response.headers["X-Total-Count"])
    assert elsewhere.id not in {r["id"] for r in rows}
    by_id = {r["id"]: r for r in rows}
    for i, person in enumerate(people):
        row = by_id[person.id]
        assert PATIENT_ROW <= set(row), PATIENT_ROW - set(row)
        assert row["userId"] == row["user_id"] == row["id"] == person.id
        if i % 2 == 0:
            assert (row["upcomingAppointmentsCount"], row["pastAppointmentsCount"]) == (2, 1), (i, row)
            [following] = row["upcomingAppointments"]
            assert following["centreName"] == w.centre.name and following["clinicianName"] == "Dr. Meera Iyer"
            assert datetime.fromisoformat(following["scheduledStartAt"]) == w.at("09:00", w.day + timedelta(i // 2))
            assert following["scheduledStartAt"].endswith("+05:30") and following["status"] == "CONFIRMED"
            assert following["appointmentType"] == "IN_PERSON" and following["id"] and following["scheduledEndAt"]
        else:  # a cancelled appointment is neither upcoming nor past
            assert (row["upcomingAppointmentsCount"], row["pastAppointmentsCount"]) == (0, 0), (i, row)
            assert row["upcomingAppointments"] == []
    # counts and next appointments come from SQL: no query per row (the audit event is one insert)
    assert len(statements) <= 6, statements
    # a centre-bound front desk counts only the appointments at its centres (its scope, docs/patients.md)
    desk_rows = {r["id"]: r for r in (await client.get("/api/patients", headers=_h(w.desk))).json()["data"]}
    assert (desk_rows[w.patient.id]["upcomingAppointmentsCount"], desk_rows[w.patient.id]["pastAppointmentsCount"]) \
        == (1, 1)

    searched = await client.get("/api/patients", params={"search": "p03"}, headers=_h(w.desk))
    assert [r["fullName"] for r in searched.json()["data"]] == ["P03 Kumar"]
    assert searched.json()["total"] == 1 and searched.headers["X-Total-Count"] == "1"
    mrn = by_id[people[5].id]["mrn"]
    by_mrn = await client.get("/api/patients", params={"search": mrn}, headers=_h(w.desk))
    found = by_mrn.json()["data"]
    # an MRN's digits also match phone numbers holding them (test phones are sequential, so some may)
    digits = "".join(ch for ch in mrn if ch.isdigit())
    assert people[5].id in {r["id"] for r in found}
    assert all(r["id"] == people[5].id or digits in r["phone"] for r in found), found
    paged = await client.get("/api/patients", params={"limit": 10, "offset": 40}, headers=_h(w.desk))
    assert len(paged.json()["data"]) == 5 and paged.headers["X-Total-Count"] == "45"
    assert _error(await client.get("/api/patients", params={"limit": "many"}, headers=_h(w.desk)))[0] == 422


async def test_get_patient_by_id_reads_the_row_and_the_record(client, db, desk):
    w = desk.world
    patient = await make_patient(db, org=w.org, emergency_contact_name="Ravi Rao",
                                 emergency_contact_phone="+919812345678")
    login = await db.get(User, patient.user_id)
    login.username = "asha.rao"
    await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=patient, starts_at=w.at("11:00"))
    response = await client.get(f"/api/patients/{patient.id}", headers=_h(w.admin))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert PATIENT_ROW <= set(data) and data["userId"] == data["id"] == patient.id
    assert data["username"] == "asha.rao"
    assert (data["emergencyContactName"], data["emergencyContactPhone"]) == ("Ravi Rao", "919812345678")
    assert data["upcomingAppointmentsCount"] == 1 and data["upcomingAppointments"][0]["centreName"] == w.centre.name
    assert [a["status"] for a in data["appointments"]] == ["BOOKED"] and data["medicalNotes"] == []
    for ghost in (desk.other.patient.id, 2_000_000_000):
        assert _error(await client.get(f"/api/patients/{ghost}", headers=_h(w.admin)))[:2] == (404, "NOT_FOUND")


async def test_post_patients_registers_a_walk_in_whose_user_id_is_its_id(client, db, desk):
    w = desk.world
    body = {"fullName": "Kiran Das", "phone": "9876512345", "email": "kiran@example.com", "dateOfBirth": "1990-04-01",
            "gender": "male", "bloodGroup": "O+", "emergencyContactName": "Sita Das",
            "emergencyContactPhone": "9812345670", "notes": "walk-in", "mrn": "IGNORED"}
    response = await client.post("/api/patients", json=body, headers=_h(w.desk))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["userId"] == data["id"] and data["fullName"] == "Kiran Das" and data["gender"] == "MALE"
    assert data["emergencyContactName"] == "Sita Das" and data["upcomingAppointmentsCount"] == 0
    assert data["mrn"] != "IGNORED"  # the MRN is ours
    # what the booking wizard does next: the new row's userId is the patient_id it books for
    booked = await client.post("/api/appointments", headers=_h(w.desk), json=staff_body(
        w, starts_at=w.at("10:00"), patient_id=data["userId"]))
    assert booked.status_code == 201 and booked.json()["data"]["patient_name"] == "Kiran Das"
    before = await _count(db, Patient)
    for bad, field in (({"phone": "12345"}, "phone"), ({"dateOfBirth": "01/04/1990"}, "dateOfBirth"),
                       ({"email": "not-an-email"}, "email")):
        status, code, details = _error(await client.post("/api/patients", json={**body, **bad, "phone":
                                                                                  bad.get("phone", "9876500001")},
                                                         headers=_h(w.desk)))
        assert (status, code) == (422, "VALIDATION_ERROR") and details[0]["field"] == field
    assert await _count(db, Patient) == before


async def test_put_patient_through_the_row_user_id_updates_that_patient(client, db, desk):
    w = desk.world
    [row] = (await client.get("/api/patients", params={"search": w.patient.full_name},
                              headers=_h(w.desk))).json()["data"]
    response = await client.put(f"/api/patients/{row['userId']}", headers=_h(w.desk),
                                json={"fullName": "Asha R. Rao", "emergencyContactName": "Ravi"})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["id"] == w.patient.id and data["fullName"] == "Asha R. Rao" and data["emergencyContactName"] == "Ravi"
    assert _error(await client.put(f"/api/patients/{desk.other.patient.id}", headers=_h(w.desk),
                                   json={"fullName": "X"}))[0] == 404


async def test_get_patient_appointments(client, db, desk):
    w = desk.world
    mine = await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient, starts_at=w.at("10:00"))
    response = await client.get(f"/api/patients/{w.patient.id}/appointments", headers=_h(w.admin))
    assert response.status_code == 200
    [row] = response.json()["data"]
    assert row["id"] == mine.id and row["clinicianName"] == "Dr. Meera Iyer" and row["centreName"] == w.centre.name
    assert datetime.fromisoformat(row["scheduledStartAt"]) == w.at("10:00") and row["status"] == "BOOKED"
    assert _error(await client.get(f"/api/patients/{desk.other.patient.id}/appointments",
                                   headers=_h(w.admin)))[0] == 404


async def test_post_patient_notes(client, db, desk):
    w = desk.world
    await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient, starts_at=w.at("10:00"))
    response = await client.post(f"/api/patients/{w.patient.id}/notes", headers=_h(desk.doctor),
                                 json={"noteText": "Sleeps better"})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["noteText"] == "Sleeps better"
    assert _error(await client.post(f"/api/patients/{w.patient.id}/notes", headers=_h(desk.doctor),
                                    json={"noteText": ""}))[0] == 422


# ---- appointments ----------------------------------------------------------------------------------------------

APPOINTMENT_ROW = {"id", "patient_id", "patient_name", "patient_phone", "patient_mrn", "clinician_id",
                   "clinician_name", "centre_id", "centre_name", "appointment_type", "scheduled_start_at",
                   "scheduled_end_at", "duration_minutes", "status", "notes", "patient_notes", "consultation_fee",
                   "payment_status", "session_started_at", "session_ended_at"}


async def test_get_appointments_filters_and_default_window_with_totals(client, db, desk):
    w = desk.world
    now = utcnow().replace(second=0, microsecond=0)
    inside = {
        "ago_20": await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                        starts_at=now - timedelta(days=300), status="COMPLETED"),
        "here": await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                      starts_at=w.at("10:00")),
        "there": await add_appointment(db, clinician=desk.clinician2, centre=desk.centre2, patient=w.patient,
                                       starts_at=w.at("10:00"), status="CONFIRMED"),
        "ahead_50": await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                          starts_at=now + timedelta(days=300)),
    }
    outside = [await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                     starts_at=now - timedelta(days=400), status="COMPLETED"),
               await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                     starts_at=now + timedelta(days=400))]
    await add_appointment(db, clinician=desk.other.clinician, centre=desk.other.centre, patient=desk.other.patient,
                          starts_at=desk.other.at("10:00"))

    async def listed(user=w.admin, **params):
        response = await client.get("/api/appointments", params=params, headers=_h(user))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == int(response.headers["X-Total-Count"]) == len(body["data"])
        return {row["id"]: row for row in body["data"]}

    rows = await listed()
    assert set(rows) == {a.id for a in inside.values()}  # a year back .. a year ahead, this organization only
    assert APPOINTMENT_ROW <= set(rows[inside["here"].id])
    assert set(await listed(**{"from": (now - timedelta(days=450)).date().isoformat(),
                               "to": (now + timedelta(days=450)).date().isoformat()})) == (
        {a.id for a in inside.values()} | {a.id for a in outside})
    assert set(await listed(centreId=desk.centre2.id)) == {inside["there"].id}
    assert set(await listed(clinicianId=w.clinician.id, date=w.day.isoformat())) == {inside["here"].id}
    assert set(await listed(patientId=w.patient.id, status="confirmed")) == {inside["there"].id}
    assert set(await listed(user=w.desk)) == {inside["here"].id, inside["ago_20"].id, inside["ahead_50"].id}
    for bad, field in (({"date": "31-12-2026"}, "date"), ({"centreId": "x"}, "centreId"),
                       ({"status": "PARTY"}, "status")):
        status, _, details = _error(await client.get("/api/appointments", params=bad, headers=_h(w.admin)))
        assert status == 422 and details[0]["field"] == field


async def test_get_appointment_by_id(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.get(f"/api/appointments/{data['id']}", headers=_h(w.admin))
    assert response.status_code == 200
    body = response.json()["data"]
    assert APPOINTMENT_ROW <= set(body) and body["patient_id"] == w.patient.id
    assert [h["toStatus"] for h in body["statusHistory"]] == ["BOOKED"]
    assert _error(await client.get(f"/api/appointments/{data['id']}", headers=_h(desk.other.admin)))[0] == 404


async def test_post_appointments_as_the_booking_wizard_sends_it(client, db, desk):
    w = desk.world
    [row] = (await client.get("/api/patients", params={"search": w.patient.full_name},
                              headers=_h(w.desk))).json()["data"]
    # the wizard: new Date(`${date}T${startTime}`).toISOString() in the desk's browser (India), slot length
    body = {"patient_id": row["userId"], "clinician_id": w.clinician.id, "centre_id": w.centre.id,
            "appointment_type": "IN_PERSON", "duration_minutes": 30, "patient_notes": "anxious about travel",
            "scheduled_start_at": w.at("10:30").astimezone(UTC).isoformat().replace("+00:00", "Z")}
    response = await client.post("/api/appointments", json=body, headers=_h(w.desk))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["patient_id"] == w.patient.id and data["patient_name"] == w.patient.full_name
    assert datetime.fromisoformat(data["scheduled_start_at"]) == w.at("10:30") and data["status"] == "BOOKED"
    assert data["notes"] == "anxious about travel" and data["consultation_fee"] == FEE
    before = await _count(db, Appointment)
    for bad, code, field in (({"patient_id": desk.other.patient.id}, 404, "patient_id"),
                             ({"clinician_id": desk.other.clinician.id}, 404, "clinician_id"),
                             ({"centre_id": desk.centre2.id}, 404, "centre_id"),  # not the front desk's centre
                             ({"scheduled_start_at": "next tuesday"}, 422, "scheduled_start_at"),
                             ({"patient_id": "seven"}, 422, "patient_id")):
        status, _, details = _error(await client.post("/api/appointments", json={**body, **bad},
                                                      headers=_h(w.desk)))
        assert (status, details[0]["field"]) == (code, field), (bad, details)
    assert await _count(db, Appointment) == before


async def test_put_appointment_moves_this_appointment_and_sets_status_and_notes(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.put(f"/api/appointments/{data['id']}", headers=_h(w.admin), json={
        "scheduledStartAt": w.at("12:00").isoformat(), "status": "CONFIRMED", "notes": "moved by phone"})
    assert response.status_code == 200, response.text
    moved = response.json()["data"]
    assert moved["id"] == data["id"]  # the panel reloads this id
    assert datetime.fromisoformat(moved["scheduled_start_at"]) == w.at("12:00")
    assert moved["status"] == "CONFIRMED" and moved["notes"] == "moved by phone"
    again = (await client.get(f"/api/appointments/{data['id']}", headers=_h(w.admin))).json()["data"]
    assert datetime.fromisoformat(again["scheduled_start_at"]) == w.at("12:00")
    assert _error(await client.put(f"/api/appointments/{data['id']}", headers=_h(w.admin),
                                   json={"scheduledStartAt": "soon"}))[0] == 422


async def test_delete_appointment_with_a_reason(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.request("DELETE", f"/api/appointments/{data['id']}", headers=_h(w.desk),
                                    json={"reason": "patient travelling"})
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "CANCELLED"
    assert response.json()["data"]["cancellation_reason"] == "patient travelling"


async def test_get_appointments_availability(client, db, desk):
    w = desk.world
    await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.get("/api/appointments/availability", headers=_h(w.desk), params={
        "clinicianId": w.clinician.id, "centreId": w.centre.id, "date": w.day.isoformat()})
    assert response.status_code == 200
    slots = {s["startTime"]: s for s in response.json()["data"]["slots"]}
    assert slots["10:00"]["available"] is False and slots["10:30"]["available"] is True


async def test_get_my_appointments(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.get("/api/appointments/my-appointments", headers=_h(desk.doctor))
    assert response.status_code == 200
    body = response.json()["data"]
    assert set(body) == {"current", "upcoming", "past", "summary"}
    assert [r["id"] for r in body["upcoming"]] == [data["id"]] and body["summary"]["upcomingCount"] == 1


async def _dashboard_day(db, desk: Desk) -> dict[str, Appointment]:
    w = desk.world
    made = {}
    for hhmm, status in (("09:00", "BOOKED"), ("09:30", "CONFIRMED"), ("10:00", "IN_PROGRESS"),
                         ("10:30", "COMPLETED"), ("11:00", "CANCELLED"), ("11:30", "CONFIRMED")):
        made[hhmm] = await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                           starts_at=w.at(hhmm), status=status)
    # another clinician's and a day outside the range never count
    await add_appointment(db, clinician=desk.clinician2, centre=desk.centre2, patient=w.patient,
                          starts_at=w.at("09:00"))
    await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                          starts_at=w.at("09:00", w.day + timedelta(days=2)))
    return made


async def test_get_dashboard_stats(client, db, desk):
    await _dashboard_day(db, desk)
    day = desk.world.day.isoformat()
    response = await client.get("/api/appointments/dashboard/stats", headers=_h(desk.doctor),
                                params={"startDate": day, "endDate": day})
    assert response.status_code == 200, response.text
    stats = response.json()["data"]
    assert {k: stats[k] for k in ("total", "waiting", "ongoing", "confirmed", "completed", "cancelled")} == {
        "total": 6, "waiting": 3, "ongoing": 1, "confirmed": 2, "completed": 1, "cancelled": 1}
    assert _error(await client.get("/api/appointments/dashboard/stats", headers=_h(desk.world.admin)))[0] == 403
    for bad in ({"startDate": "yesterday"}, {"startDate": day, "endDate": "2000-01-01"}):
        status, _, details = _error(await client.get("/api/appointments/dashboard/stats", params=bad,
                                                     headers=_h(desk.doctor)))
        assert status == 422 and details[0]["field"] in ("startDate", "endDate")
    # The panel's "All time" preset: a year back to a year ahead (about 731 days) is answered, in full.
    first, last = desk.world.day - timedelta(days=365), desk.world.day + timedelta(days=365)
    all_time = await client.get("/api/appointments/dashboard/stats", headers=_h(desk.doctor),
                                params={"startDate": first.isoformat(), "endDate": last.isoformat()})
    assert all_time.status_code == 200 and all_time.json()["data"]["total"] >= 6
    too_long = await client.get("/api/appointments/dashboard/stats", headers=_h(desk.doctor), params={
        "startDate": first.isoformat(), "endDate": (first + timedelta(days=800)).isoformat()})
    assert _error(too_long)[0] == 422


async def test_get_dashboard_appointments(client, db, desk):
    made = await _dashboard_day(db, desk)
    day = desk.world.day.isoformat()
    response = await client.get("/api/appointments/dashboard/appointments", headers=_h(desk.doctor),
                                params={"startDate": day, "endDate": day})
    assert response.status_code == 200
    rows = response.json()["data"]
    assert [r["id"] for r in rows] == [a.id for a in made.values()]  # earliest first
    assert APPOINTMENT_ROW <= set(rows[0]) and response.headers["X-Total-Count"] == "6"
    waiting = await client.get("/api/appointments/dashboard/appointments", headers=_h(desk.doctor),
                               params={"startDate": day, "endDate": day, "status": "WAITING"})
    assert {r["status"] for r in waiting.json()["data"]} == {"BOOKED", "CONFIRMED"}
    assert _error(await client.get("/api/appointments/dashboard/appointments", headers=_h(desk.doctor),
                                   params={"startDate": day, "status": "PARTY"}))[0] == 422


async def test_post_confirm_direct_payment_from_the_wizard(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.post(f"/api/appointments/{data['id']}/confirm-direct-payment", headers=_h(w.desk),
                                 json={"paymentMethod": "UPI", "paymentNotes": "ref 123"})
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert body["appointment"]["status"] == "CONFIRMED" and body["payment"]["status"] == "SUCCESS"
    assert body["payment"]["amount"] == FEE + REGISTRATION


async def test_appointment_rows_carry_the_desk_payment_method_and_notes(client, db, desk, count_sql):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    row = (await client.get(f"/api/appointments/{data['id']}", headers=_h(w.admin))).json()["data"]
    assert (row["payment_method"], row["payment_notes"]) == (None, None)
    response = await client.post(f"/api/appointments/{data['id']}/confirm-direct-payment", headers=_h(w.desk),
                                 json={"paymentMethod": "CASH", "paymentNotes": "Receipt T-1"})
    assert response.status_code == 200, response.text
    row = (await client.get(f"/api/appointments/{data['id']}", headers=_h(w.admin))).json()["data"]
    assert (row["payment_status"], row["payment_method"], row["payment_notes"]) == ("SUCCESS", "CASH", "Receipt T-1")
    await book_as_staff(client, w, w.desk, w.at("11:00"))
    with count_sql() as statements:
        listed = await client.get("/api/appointments", headers=_h(w.admin))
    assert listed.status_code == 200
    rows = {r["id"]: r for r in listed.json()["data"]}
    assert (rows[data["id"]]["payment_method"], rows[data["id"]]["payment_notes"]) == ("CASH", "Receipt T-1")
    assert all("payment_notes" in r and "payment_method" in r for r in rows.values())
    # the payment columns come from the row query itself (two rows, one statement): no N+1
    assert len(rows) >= 2 and sum("FROM payments" in s for s in statements) == 1


async def test_post_send_payment_link_from_the_wizard(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.post(f"/api/appointments/{data['id']}/send-payment-link", headers=_h(w.desk))
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert body["sent"] is True and body["paymentLink"] and body["amount"] == FEE + REGISTRATION


async def _soon(db, desk: Desk, *, minutes: int = 5, status: str = "CONFIRMED") -> Appointment:
    """An appointment of the first clinician starting ``minutes`` from now (written directly)."""
    w = desk.world
    return await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient, status=status,
                                 starts_at=utcnow().replace(microsecond=0) + timedelta(minutes=minutes))


async def test_post_start_session(client, db, desk):
    soon = await _soon(db, desk)
    response = await client.post(f"/api/appointments/{soon.id}/start-session", headers=_h(desk.doctor))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "IN_PROGRESS" and response.json()["data"]["session_started_at"]


async def test_post_end_session(client, db, desk):
    soon = await _soon(db, desk, minutes=-10, status="IN_PROGRESS")
    response = await client.post(f"/api/appointments/{soon.id}/end-session", headers=_h(desk.doctor))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "COMPLETED" and response.json()["data"]["session_ended_at"]


async def test_post_clinician_notes(client, db, desk):
    soon = await _soon(db, desk)
    response = await client.post(f"/api/appointments/{soon.id}/clinician-notes", headers=_h(desk.doctor),
                                 json={"session_notes": "Discussed sleep hygiene"})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["session_notes"] == "Discussed sleep hygiene"
    again = await client.post(f"/api/appointments/{soon.id}/clinician-notes", headers=_h(desk.doctor),
                              json={"session_notes": "Revised"})
    assert again.json()["data"]["id"] == response.json()["data"]["id"]  # one record per session
    other_doctor = await db.get(User, desk.clinician2.user_id)
    assert _error(await client.post(f"/api/appointments/{soon.id}/clinician-notes", headers=_h(other_doctor),
                                    json={"session_notes": "x"}))[0] == 404
    assert _error(await client.post(f"/api/appointments/{soon.id}/clinician-notes", headers=_h(desk.doctor),
                                    json={}))[0] == 422


async def test_get_previous_notes(client, db, desk):
    w = desk.world
    earlier = await add_appointment(db, clinician=w.clinician, centre=w.centre, patient=w.patient,
                                    starts_at=utcnow().replace(microsecond=0) - timedelta(days=7), status="COMPLETED")
    soon = await _soon(db, desk)
    await client.post(f"/api/appointments/{earlier.id}/clinician-notes", headers=_h(desk.doctor),
                      json={"session_notes": "First session"})
    response = await client.get(f"/api/appointments/{soon.id}/previous-notes", headers=_h(desk.doctor),
                                params={"patientId": w.patient.id})
    assert response.status_code == 200
    [note] = response.json()["data"]
    assert note["session_notes"] == "First session" and note["id"]
    assert datetime.fromisoformat(note["scheduled_start_at"]) == earlier.starts_at
    assert _error(await client.get(f"/api/appointments/{soon.id}/previous-notes", headers=_h(desk.doctor),
                                   params={"patientId": desk.other.patient.id}))[0] == 404


async def test_post_schedule_followup(client, db, desk):
    soon = await _soon(db, desk)
    day = (desk.world.day + timedelta(days=14)).isoformat()
    response = await client.post(f"/api/appointments/{soon.id}/schedule-followup", headers=_h(desk.doctor),
                                 json={"follow_up_date": day, "follow_up_notes": "Review medication"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["follow_up_date"], data["follow_up_notes"]) == (day, "Review medication")
    assert data["parent_appointment_id"] == soon.id
    assert _error(await client.post(f"/api/appointments/{soon.id}/schedule-followup", headers=_h(desk.doctor),
                                    json={"follow_up_date": "2001-01-01"}))[0] == 422


async def test_patch_appointment_notes(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    response = await client.patch(f"/api/appointments/{data['id']}/notes", headers=_h(desk.doctor),
                                  json={"notes": "Bring reports"})
    assert response.status_code == 200 and response.json()["data"]["notes"] == "Bring reports"
    assert _error(await client.patch(f"/api/appointments/{data['id']}/notes", headers=_h(desk.other.admin),
                                     json={"notes": "x"}))[0] == 404


# ---- the booking wizard ----------------------------------------------------------------------------------------

async def test_wizard_get_centres(client, db, desk):
    response = await client.get("/api/centres", headers=_h(desk.world.desk))
    assert response.status_code == 200
    rows = {r["id"]: r for r in response.json()["data"]}
    assert {"name", "city", "address"} <= set(rows[desk.world.centre.id])


async def test_wizard_get_patients_picker(client, db, desk):
    response = await client.get("/api/patients", headers=_h(desk.world.desk))
    [row] = response.json()["data"]
    assert row["userId"] == desk.world.patient.id and row["fullName"] and row["phone"]


async def test_wizard_get_clinicians_of_a_centre(client, db, desk):
    response = await client.get("/api/users/clinicians", headers=_h(desk.world.desk),
                                params={"centreId": desk.centre2.id, "isActive": "true"})
    assert response.status_code == 200
    assert desk.clinician2.id in {r["id"] for r in response.json()["data"]}


async def test_wizard_get_clinician_slots_for_sixty_days(client, db, desk):
    w = desk.world
    taken = await book_as_staff(client, w, w.desk, w.at("10:00"))
    today = datetime.now(zone(w.centre.timezone)).date()
    params = {"clinicianId": w.clinician.id, "startDate": today.isoformat(),
              "endDate": (today + timedelta(days=60)).isoformat(), "centreId": w.centre.id}
    response = await client.get("/api/booking/clinician-slots", headers=_h(w.desk), params=params)
    assert response.status_code == 200, response.text
    slots = response.json()["data"]
    dates = {s["date"] for s in slots}
    assert (today + timedelta(days=60)).isoformat() in dates and w.day.isoformat() in dates
    day = [s for s in slots if s["date"] == w.day.isoformat()]
    assert len(day) == 14  # 8 in person + 6 online
    assert len({s["id"] for s in slots}) == len(slots)  # the wizard selects a slot by id
    row = next(s for s in day if s["startTime"] == "10:00" and s["mode"] == "IN_PERSON")
    assert {"id", "date", "startTime", "endTime", "status", "mode", "clinicianId", "centreId"} <= set(row)
    assert (row["status"], row["endTime"], row["centreId"]) == ("booked", "10:30", w.centre.id)
    assert taken["id"] and next(s for s in day if s["startTime"] == "10:30")["status"] == "available"
    assert all(datetime.fromisoformat(s["startsAt"]) > utcnow() for s in slots)  # nothing already begun
    without_centre = await client.get("/api/booking/clinician-slots", headers=_h(w.desk), params={
        "clinicianId": desk.clinician2.id, "startDate": w.day.isoformat(), "endDate": w.day.isoformat()})
    assert {s["centreId"] for s in without_centre.json()["data"]} == {desk.centre2.id}

    for bad, code, field in (({"endDate": (today + timedelta(days=62)).isoformat()}, 422, "endDate"),
                             ({"endDate": (today - timedelta(days=1)).isoformat()}, 422, "endDate"),
                             ({"startDate": "2026/01/01"}, 422, "startDate"),
                             ({"clinicianId": "abc"}, 422, "clinicianId"),
                             ({"clinicianId": ""}, 422, "clinicianId")):
        status, _, details = _error(await client.get("/api/booking/clinician-slots", headers=_h(w.desk),
                                                     params={**params, **bad}))
        assert (status, details[0]["field"]) == (code, field), bad
    for bad in ({"clinicianId": desk.other.clinician.id}, {"centreId": desk.other.centre.id},
                {"clinicianId": 2_000_000_000}):
        assert _error(await client.get("/api/booking/clinician-slots", headers=_h(w.desk),
                                       params={**params, **bad}))[0] == 404
    # The panel's clinician page asks without a token: the public organization's slots, which name no patient.
    anonymous = await client.get("/api/booking/clinician-slots", params=params)
    assert anonymous.status_code == 200 and anonymous.json()["data"] == slots
    assert not any(key in row for row in anonymous.json()["data"] for key in ("patientId", "patientName"))
    assert (await client.get("/api/booking/clinician-slots", headers=_h(w.patient_user),
                             params=params)).json()["data"] == slots
    assert _error(await client.get("/api/booking/clinician-slots",
                                   params={**params, "clinicianId": desk.other.clinician.id}))[0] == 404


async def test_wizard_books_the_slot_it_shows_then_sends_the_payment_link(client, db, desk):
    """The whole wizard: slots -> POST /appointments with the body it builds -> payment link."""
    w = desk.world
    slots = (await client.get("/api/booking/clinician-slots", headers=_h(w.desk), params={
        "clinicianId": w.clinician.id, "centreId": w.centre.id, "startDate": w.day.isoformat(),
        "endDate": w.day.isoformat()})).json()["data"]
    slot = next(s for s in slots if s["status"] == "available" and s["mode"] == "ONLINE")
    start = datetime.fromisoformat(f"{slot['date']}T{slot['startTime']}").replace(tzinfo=zone(w.centre.timezone))
    minutes = (datetime.strptime(slot["endTime"], "%H:%M") - datetime.strptime(slot["startTime"], "%H:%M")).seconds
    [patient] = (await client.get("/api/patients", headers=_h(w.desk))).json()["data"]
    booked = await client.post("/api/appointments", headers=_h(w.desk), json={
        "patient_id": patient["userId"], "clinician_id": w.clinician.id, "centre_id": w.centre.id,
        "appointment_type": "ONLINE", "scheduled_start_at": start.astimezone(UTC).isoformat(),
        "duration_minutes": minutes // 60, "patient_notes": ""})
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["data"]["id"]
    linked = await client.post(f"/api/appointments/{appointment_id}/send-payment-link", headers=_h(w.desk))
    assert linked.status_code == 200 and linked.json()["data"]["appointment"]["id"] == appointment_id
    refreshed = (await client.get("/api/booking/clinician-slots", headers=_h(w.desk), params={
        "clinicianId": w.clinician.id, "centreId": w.centre.id, "startDate": w.day.isoformat(),
        "endDate": w.day.isoformat()})).json()["data"]
    assert next(s for s in refreshed if s["id"] == slot["id"])["status"] == "booked"


# ---- front desk --------------------------------------------------------------------------------------------------

async def test_front_desk_booking_states_what_the_desk_then_records(client, db, desk):
    w = desk.world
    body = {"clinicianId": w.clinician.id, "centreId": w.centre.id, "patientPhone": "9876543210",
            "patientName": "Meena Das", "patientEmail": "meena@example.com", "appointmentType": "IN_PERSON",
            "appointmentDate": w.day.isoformat(), "appointmentTime": "10:00", "notes": "first visit"}
    response = await client.post("/api/booking/front-desk", json=body, headers=_h(w.desk))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["paymentRequired"] is True and data["amount"] == FEE + REGISTRATION  # ₹1600, not ₹1500
    assert (data["consultationFee"], data["registrationFee"]) == (FEE, REGISTRATION)
    assert data["appointment"]["id"] and data["patient"]["name"] == "Meena Das"
    assert data["clinician"]["consultationFee"] == FEE and data["centre"]["name"] == w.centre.name
    paid = await client.post(f"/api/appointments/{data['appointment']['id']}/confirm-direct-payment",
                             headers=_h(w.desk), json={"paymentMethod": "CASH"})
    assert paid.status_code == 200, paid.text
    recorded = (await db.execute(select(Payment).where(
        Payment.appointment_id == data["appointment"]["id"]))).scalar_one()
    assert to_rupees(recorded.amount_paise) == data["amount"] == paid.json()["data"]["payment"]["amount"]
    # the registration fee is now paid: the next desk booking for the same person states (and records) the fee only
    again = await client.post("/api/booking/front-desk", headers=_h(w.desk),
                              json={**body, "appointmentTime": "11:00"})
    assert again.json()["data"]["amount"] == FEE and again.json()["data"]["registrationFee"] == 0
    for bad, field in (({"patientPhone": "12"}, "patientPhone"), ({"appointmentDate": "tomorrow"}, "appointmentDate"),
                       ({"appointmentTime": "25:00"}, "appointmentTime"), ({"clinicianId": "x"}, "clinicianId")):
        status, _, details = _error(await client.post("/api/booking/front-desk", json={**body, **bad},
                                                      headers=_h(w.desk)))
        assert status == 422 and details[0]["field"] == field, (bad, details)
    assert _error(await client.post("/api/booking/front-desk", headers=_h(w.desk),
                                    json={**body, "appointmentTime": "12:00",
                                          "clinicianId": desk.other.clinician.id}))[0] == 404


async def test_front_desk_payment_send_link(client, db, desk):
    w = desk.world
    booked = (await client.post("/api/booking/front-desk", headers=_h(w.desk), json={
        "clinicianId": w.clinician.id, "centreId": w.centre.id, "patientPhone": "9876543211",
        "patientName": "Arun Nair", "appointmentType": "IN_PERSON", "appointmentDate": w.day.isoformat(),
        "appointmentTime": "09:30"})).json()["data"]
    response = await client.post("/api/payment/send-link", headers=_h(w.desk), json={
        "appointmentId": booked["appointment"]["id"], "patientPhone": "9876543211", "patientName": "Arun Nair"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["amount"] == booked["amount"] == FEE + REGISTRATION


# ---- one patient id ------------------------------------------------------------------------------------------

async def _with_ids(db, *, patient_id: int, user_id: int, org, first_name: str) -> Patient:
    phone = f"+9197{patient_id % 10**8:08d}"
    db.add(User(id=user_id, organization_id=None, user_type="PATIENT", phone=phone, full_name=f"{first_name} X"))
    await db.flush()
    patient = Patient(id=patient_id, user_id=user_id, phone=phone, first_name=first_name, last_name="X",
                      full_name=f"{first_name} X")
    db.add(patient)
    await db.flush()
    if org is not None:
        db.add(PatientRegistration(organization_id=org.id, patient_id=patient.id, mrn=f"MRN-{patient_id}"))
        await db.flush()
    return patient


async def test_colliding_numbers_always_reach_the_same_person(client, db, desk):
    """patients.id and users.id are separate sequences, so one number can be patient A's sign-in id and patient
    B's id (or a staff member's user id and patient C's id). The first backend took the picker's userId as a user
    id first and booked B for A. Every number the panel holds for a patient is that patient's own id."""
    w = desk.world
    base = 1_900_000_000 + next(_ids) * 100
    anita = await _with_ids(db, patient_id=base + 2, user_id=base + 1, org=w.org, first_name="Anita")
    bhavna = await _with_ids(db, patient_id=base + 1, user_id=base + 3, org=w.org, first_name="Bhavna")
    staff = await make_staff(db, org=w.org, role="CARE_COORDINATOR", id=base + 4)
    chitra = await _with_ids(db, patient_id=base + 4, user_id=base + 5, org=w.org, first_name="Chitra")
    foreign = await _with_ids(db, patient_id=base + 6, user_id=base + 7, org=desk.other.org, first_name="Farah")
    assert anita.user_id == bhavna.id and staff.id == chitra.id  # the collisions

    rows = {r["fullName"]: r for r in (await client.get("/api/patients", params={"limit": 500},
                                                        headers=_h(w.admin))).json()["data"]}
    hour = iter(["09:00", "09:30", "10:00", "10:30"])
    for person in (anita, bhavna, chitra):
        row = rows[person.full_name]
        assert row["id"] == row["userId"] == row["user_id"] == person.id  # nothing else to mistake
        detail = await client.get(f"/api/patients/{row['userId']}", headers=_h(w.admin))
        assert detail.json()["data"]["fullName"] == person.full_name
        booked = await client.post("/api/appointments", headers=_h(w.admin), json=staff_body(
            w, starts_at=w.at(next(hour)), patient_id=row["userId"]))
        assert booked.status_code == 201, booked.text
        assert (booked.json()["data"]["patient_id"], booked.json()["data"]["patient_name"]) == (
            person.id, person.full_name)
    # numbers that are not a patient of this organization: 404, never somebody else
    before = await _count(db, Appointment)
    for number in (foreign.id, foreign.user_id, base + 3, base + 5, base + 50):
        assert _error(await client.get(f"/api/patients/{number}", headers=_h(w.admin)))[:2] == (404, "NOT_FOUND")
        status, _, details = _error(await client.post("/api/appointments", headers=_h(w.admin), json=staff_body(
            w, starts_at=w.at("11:30"), patient_id=number)))
        assert (status, details[0]["field"]) == (404, "patient_id")
    assert await _count(db, Appointment) == before
    # the front desk's reply names the patient the same way
    reply = (await client.post("/api/booking/front-desk", headers=_h(w.desk), json={
        "clinicianId": w.clinician.id, "centreId": w.centre.id, "patientPhone": anita.phone, "patientName": "Anita X",
        "appointmentType": "IN_PERSON", "appointmentDate": w.day.isoformat(),
        "appointmentTime": "12:00"})).json()["data"]
    assert reply["patient"]["id"] == reply["patient"]["userId"] == anita.id


# ---- reschedule in place -------------------------------------------------------------------------------------

async def test_reschedule_keeps_the_id_payment_and_history_and_tells_the_patient(client, db, desk):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    paid = await client.post(f"/api/appointments/{data['id']}/confirm-direct-payment", headers=_h(w.desk),
                             json={"paymentMethod": "CARD"})
    assert paid.status_code == 200
    response = await client.put(f"/api/appointments/{data['id']}", headers=_h(w.admin),
                                json={"scheduledStartAt": f"{w.day.isoformat()}T11:30:00", "reason": "doctor late"})
    assert response.status_code == 200, response.text
    moved = response.json()["data"]
    assert moved["id"] == data["id"] and moved["status"] == "CONFIRMED" and moved["payment_status"] == "SUCCESS"
    history = (await client.get(f"/api/appointments/{data['id']}/history", headers=_h(w.admin))).json()["data"]
    last = history[-1]
    assert (last["fromStatus"], last["toStatus"], last["changedBy"]) == ("CONFIRMED", "CONFIRMED", w.admin.id)
    assert w.at("10:00").isoformat() in last["reason"] and w.at("11:30").isoformat() in last["reason"]
    assert last["reason"].endswith("doctor late")
    payments = (await db.execute(select(Payment).where(Payment.patient_id == w.patient.id))).scalars().all()
    assert [p.appointment_id for p in payments] == [data["id"]]
    messages = (await db.execute(select(OutboxMessage).where(
        OutboxMessage.appointment_id == data["id"], OutboxMessage.template == "appointment_rescheduled"))).scalars()
    [message] = list(messages)
    assert "11:30" in message.body and "10:00" in message.body
    assert await _count(db, Appointment) == 1
    # its old time is free, the new one taken, and moving onto a taken slot changes nothing
    other = await book_as_staff(client, w, w.desk, w.at("10:00"))
    refused = await client.put(f"/api/appointments/{other['id']}", headers=_h(w.admin),
                               json={"scheduledStartAt": w.at("11:30").isoformat()})
    assert _error(refused)[:2] == (409, "SLOT_UNAVAILABLE")
    row = await db.get(Appointment, other["id"])
    await db.refresh(row)
    assert row.starts_at == w.at("10:00")


async def test_moving_back_and_forth_tells_the_patient_every_time(client, db, desk):
    """A→B, back to A, to B again: three notices (a move is an event, not a time already announced)."""
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("10:00"))
    for at in ("11:30", "10:00", "11:30"):
        moved = await client.put(f"/api/appointments/{data['id']}", headers=_h(w.admin),
                                 json={"scheduledStartAt": w.at(at).isoformat()})
        assert moved.status_code == 200, moved.text
    notices = (await db.execute(select(OutboxMessage.body).where(
        OutboxMessage.appointment_id == data["id"], OutboxMessage.template == "appointment_rescheduled"))).scalars()
    assert len(list(notices)) == 3


async def test_an_online_reschedule_makes_a_new_meet_link(client, db, desk, queued_jobs):
    w = desk.world
    data = await book_as_staff(client, w, w.desk, w.at("14:00"), appointment_type="ONLINE")
    row = await db.get(Appointment, data["id"])
    row.status, row.hold_expires_at = "CONFIRMED", None
    row.meet_link, row.meet_event_id = "https://meet.google.com/old-link-abc", "clinicopsold1"
    await db.flush()
    response = await client.put(f"/api/appointments/{data['id']}", headers=_h(w.admin),
                                json={"scheduledStartAt": w.at("15:00").isoformat()})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["meet_link"] is None  # the old meeting was for the old time
    assert ("clinicops:video.create_meet_link", {"appointment_id": data["id"]}) in queued_jobs()


async def test_fifteen_racing_reschedules_into_one_slot_give_one_winner(committed):
    factory, client = committed
    async with factory() as session:
        w = await make_world(session)
        ids = []
        for i in range(15):
            person = await make_patient(session, org=w.org)
            slot = w.at(f"{9 + i // 2 % 4:02d}:{30 * (i % 2):02d}", w.day + timedelta(days=1 + i // 8))
            ids.append((await add_appointment(session, clinician=w.clinician, centre=w.centre, patient=person,
                                              starts_at=slot, status="CONFIRMED")).id)
        await session.commit()
    responses = await asyncio.wait_for(asyncio.gather(*(
        client.put(f"/api/appointments/{i}", headers=bearer(w.admin),
                   json={"scheduledStartAt": w.at("10:00").isoformat()}) for i in ids)), timeout=60)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 14, [r.text for r in responses if r.status_code not in (200, 409)]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"SLOT_UNAVAILABLE"}
    winner = next(r.json()["data"]["id"] for r in responses if r.status_code == 200)
    async with factory() as session:
        rows = (await session.execute(select(Appointment).where(Appointment.clinician_id == w.clinician.id))).scalars()
        at_ten = [r.id for r in rows if r.starts_at == w.at("10:00")]
    assert at_ten == [winner] and winner in ids


# ---- status rules ------------------------------------------------------------------------------------------------

async def test_status_changes_respect_payment_and_time(client, db, desk):
    w = desk.world
    ahead = await book_as_staff(client, w, w.desk, w.at("10:00"))  # BOOKED, unpaid, three days ahead

    async def change(appointment_id: int, status: str, user=w.admin):
        return await client.patch(f"/api/appointments/{appointment_id}/status", headers=_h(user),
                                  json={"status": status})

    for status in ("IN_PROGRESS", "COMPLETED", "CHECKED_IN", "NO_SHOW"):
        code, error, details = _error(await change(ahead["id"], status))
        assert (code, error) == (409, "INVALID_TRANSITION")
        assert details[0]["currentStatus"] == "BOOKED" and "BOOKED" in details[0]["message"]
    started = await client.post(f"/api/appointments/{ahead['id']}/start-session", headers=_h(desk.doctor))
    assert _error(started)[:2] == (409, "INVALID_TRANSITION")
    assert (await change(ahead["id"], "CONFIRMED")).status_code == 200
    for status in ("IN_PROGRESS", "COMPLETED", "NO_SHOW"):  # paid now, but days ahead
        code, _, details = _error(await change(ahead["id"], status))
        assert code == 409 and details[0]["currentStatus"] == "CONFIRMED"
    row = await db.get(Appointment, ahead["id"])
    await db.refresh(row)
    assert row.status == "CONFIRMED" and row.started_at is None

    soon = await _soon(db, desk, minutes=10)  # confirmed, starting in ten minutes
    assert (await change(soon.id, "CHECKED_IN")).status_code == 200
    assert (await change(soon.id, "IN_PROGRESS")).status_code == 200
    assert (await change(soon.id, "COMPLETED")).status_code == 200
    assert _error(await change(soon.id, "IN_PROGRESS"))[2][0]["currentStatus"] == "COMPLETED"

    missed = await _soon(db, desk, minutes=-45)  # confirmed, started 45 minutes ago, patient never came
    assert (await change(missed.id, "NO_SHOW")).status_code == 200
    done = await _soon(db, desk, minutes=-200)  # long over: completed at the desk, too late to start a session
    assert _error(await change(done.id, "IN_PROGRESS"))[0] == 409
    assert (await change(done.id, "COMPLETED")).status_code == 200
    unpaid_past = await _soon(db, desk, minutes=-100, status="BOOKED")
    assert _error(await change(unpaid_past.id, "COMPLETED"))[2][0]["currentStatus"] == "BOOKED"
    assert (await change(unpaid_past.id, "NO_SHOW")).status_code == 200
