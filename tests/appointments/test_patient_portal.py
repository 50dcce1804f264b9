"""The patient website's dashboard (/api/patient): rows, payments in rupees, profile casing, own data only."""
from __future__ import annotations

from datetime import datetime, timedelta

from clinicops.appointments.models import Appointment
from clinicops.kit.timezones import utcnow
from clinicops.patients.models import Patient
from clinicops.payments.models import Payment
from tests.builders.appointments import make_world, patient_headers, web_body
from tests.builders.people import bearer, make_patient
from tests.builders.slots import add_appointment


async def test_dashboard_counts_next_appointment_and_payments(client, db):
    world = await make_world(db)
    headers = bearer(world.patient_user)
    online = (await client.post("/api/booking/create", json=web_body(world, hhmm="14:00", mode="ONLINE"),
                                headers=headers)).json()["data"]["appointment"]
    later = (await client.post("/api/booking/create", json=web_body(
        world, hhmm="10:00", day=world.day + timedelta(days=1)), headers=headers)).json()["data"]["appointment"]
    past = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                 starts_at=utcnow().replace(microsecond=0) - timedelta(days=2), status="COMPLETED")
    db.add(Payment(organization_id=world.org.id, patient_id=world.patient.id, appointment_id=past.id,
                   provider="offline", order_id="order_1", amount_paise=1600_50, status="SUCCESS",
                   paid_at=utcnow()))
    other = await make_patient(db, org=world.org)
    db.add(Payment(organization_id=world.org.id, patient_id=other.id, provider="offline", amount_paise=99_00,
                   status="SUCCESS"))
    await db.flush()

    data = (await client.get("/api/patient/dashboard", headers=headers)).json()["data"]
    stats = data["statistics"]
    assert stats["totalAppointments"] == 3 and stats["upcomingAppointments"] == 2
    assert stats["completedAppointments"] == 1 and stats["totalSpent"] == 1600.5
    assert data["nextAppointment"]["id"] == online["id"]
    assert [a["id"] for a in data["upcomingAppointments"]] == [online["id"], later["id"]]
    assert [a["id"] for a in data["recentAppointments"]] == [past.id]
    assert [p["amount"] for p in data["recentPayments"]] == [1600.5]
    row = data["nextAppointment"]
    assert row["appointment_type"] == "ONLINE" and "google_meet_link" in row
    # An online follow-up is still "ONLINE" to the website (it shows the Join button by appointment_type alone).
    stored = await db.get(Appointment, online["id"])
    stored.kind = "FOLLOW_UP"
    await db.flush()
    again = (await client.get("/api/patient/dashboard", headers=headers)).json()["data"]["nextAppointment"]
    assert (again["appointment_type"], again["kind"]) == ("ONLINE", "FOLLOW_UP")
    start = datetime.fromisoformat(row["scheduled_start_at"])
    assert start.utcoffset() is not None and start == world.at("14:00")
    assert datetime.fromisoformat(row["scheduled_end_at"]) == world.at("14:30")
    assert row["clinician_name"] == "Dr. Meera Iyer" and row["centre_name"] == world.centre.name

    listed = (await client.get("/api/patient/appointments", headers=headers)).json()["data"]
    assert listed["total"] == 3 and {a["id"] for a in listed["appointments"]} == {online["id"], later["id"], past.id}
    payments = (await client.get("/api/patient/payments", headers=headers)).json()["data"]
    assert payments["total"] == 1 and payments["payments"][0]["amount"] == 1600.5
    assert payments["payments"][0]["razorpay_order_id"] == "order_1"


async def test_profile_reads_snake_case_and_updates_from_camel_case(client, db):
    world = await make_world(db)
    headers = bearer(world.patient_user)
    got = (await client.get("/api/patient/profile", headers=headers)).json()["data"]
    assert got["user"]["id"] == world.patient_user.id and got["user"]["first_name"] == "Asha"
    assert got["user"]["phone"] == world.patient.phone.lstrip("+") and got["profile"]["id"] == world.patient.id
    updated = await client.put("/api/patient/profile", headers=headers, json={
        "firstName": "Meena", "lastName": "Das", "email": "meena@example.com", "dateOfBirth": "1990-05-17",
        "age": 35, "gender": "NON_BINARY", "phone": "+919999999999", "userId": 1, "id": 1})
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert data["user"]["full_name"] == "Meena Das" and data["user"]["first_name"] == "Meena"
    assert data["user"]["email"] == "meena@example.com"
    assert data["profile"]["gender"] == "NON_BINARY" and data["profile"]["date_of_birth"] == "1990-05-17"
    assert data["profile"]["age"] == 35
    row = await db.get(Patient, world.patient.id)
    await db.refresh(row)
    assert row.phone == world.patient.phone and row.full_name == "Meena Das"  # phone is not a profile field

    before = row.full_name
    for body, field in (({"gender": "ROBOT"}, "gender"), ({"dateOfBirth": "2999-01-01"}, "dateOfBirth"),
                        ({"email": "not-an-email"}, "email"), ({"age": -3}, "age")):
        response = await client.put("/api/patient/profile", headers=headers, json={"firstName": "X", **body})
        assert response.status_code == 422, body
        assert response.json()["error"]["details"][0]["field"] == field
    await db.refresh(row)
    assert row.full_name == before


async def test_portal_shows_only_own_data(client, db):
    world = await make_world(db)
    other = await make_patient(db, org=world.org)
    theirs = (await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"),
                                headers=await patient_headers(db, other))).json()["data"]["appointment"]
    mine = (await client.get("/api/patient/appointments", headers=bearer(world.patient_user))).json()["data"]
    assert mine == {"appointments": [], "total": 0}
    dash = (await client.get("/api/patient/dashboard", headers=bearer(world.patient_user))).json()["data"]
    assert dash["nextAppointment"] is None and dash["statistics"]["totalAppointments"] == 0
    assert (await client.get(f"/api/patient/appointments/{theirs['id']}",
                             headers=bearer(world.patient_user))).status_code == 404
