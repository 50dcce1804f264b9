"""Patient booking (/api/booking): the website's create, list, detail and cancel; the front desk's booking."""
from __future__ import annotations

import time as systime
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinicops.appointments.models import Appointment
from clinicops.config import get_settings
from clinicops.kit.timezones import UTC, utcnow
from clinicops.patients.models import Patient, PatientRegistration
from tests.builders.appointments import make_world, patient_headers, web_body
from tests.builders.clinicians import add_rule
from tests.builders.people import bearer, make_patient
from tests.builders.slots import add_appointment


async def _count(db) -> int:
    return (await db.execute(select(func.count()).select_from(Appointment))).scalar_one()


async def test_patient_books_for_themselves_with_a_hold(client, db):
    world = await make_world(db)
    before = utcnow()
    body = web_body(world, hhmm="10:00", patientNotes="anxiety", patientId=999, patient_id=999, status="CONFIRMED",
                    source="ADMIN", fee=0, organizationId=12345)
    response = await client.post("/api/booking/create", json=body, headers=bearer(world.patient_user))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) >= {"appointment", "clinician", "centre", "patient"}
    assert data["appointment"]["status"] == "BOOKED" and data["appointment"]["notes"] == "anxiety"
    assert data["patient"]["id"] == world.patient.id  # never the body's patient
    assert data["clinician"]["consultationFee"] == 1500 and data["appointment"]["consultationFee"] == 1500
    row = await db.get(Appointment, data["appointment"]["id"])
    assert row.source == "WEB_PATIENT" and row.status == "BOOKED" and row.organization_id == world.org.id
    assert row.fee_paise == 1500_00
    hold = get_settings().patient_hold_minutes
    assert before + timedelta(minutes=hold) <= row.hold_expires_at <= utcnow() + timedelta(minutes=hold)


async def test_online_booking_must_fit_an_online_slot(client, db):
    world = await make_world(db)
    headers = bearer(world.patient_user)
    refused = await client.post("/api/booking/create", json=web_body(world, hhmm="10:00", mode="ONLINE"),
                                headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "SLOT_UNAVAILABLE"
    ok = await client.post("/api/booking/create", json=web_body(world, hhmm="14:30:00", mode="ONLINE"),
                           headers=headers)
    assert ok.status_code == 201, ok.text
    start = datetime.fromisoformat(ok.json()["data"]["appointment"]["scheduledStartAt"])
    assert start == world.at("14:30")


@pytest.mark.parametrize("process_tz", ["UTC", "Asia/Kolkata"])
async def test_late_evening_booking_lands_on_its_own_date(client, db, monkeypatch, process_tz):
    """23:30 IST on a date is 18:00Z that same date, whatever the server's zone; appointmentDateUTC is ignored."""
    monkeypatch.setenv("TZ", process_tz)
    systime.tzset()
    try:
        world = await make_world(db)
        weekday = (world.day.weekday() + 1) % 7
        await add_rule(db, clinician=world.clinician, centre=world.centre, weekday=weekday, start=time(23, 0),
                       end=time(23, 59), slot_minutes=15)
        wrong_utc = f"{(world.day + timedelta(days=1)).isoformat()}T05:00:00.000Z"
        response = await client.post("/api/booking/create", headers=bearer(world.patient_user),
                                     json=web_body(world, hhmm="23:30", appointmentDateUTC=wrong_utc))
        assert response.status_code == 201, response.text
        start = datetime.fromisoformat(response.json()["data"]["appointment"]["scheduledStartAt"])
        assert start == datetime.combine(world.day, time(18, 0), tzinfo=UTC)
        row = await db.get(Appointment, response.json()["data"]["appointment"]["id"])
        assert row.starts_at == datetime.combine(world.day, time(18, 0), tzinfo=UTC)
        # 23:45 would run past the rule's 23:59 end: not a slot
        late = await client.post("/api/booking/create", headers=bearer(world.patient_user),
                                 json=web_body(world, hhmm="23:45"))
        assert late.status_code == 409
    finally:
        monkeypatch.undo()
        systime.tzset()


async def test_bad_booking_input_names_the_field(client, db):
    world = await make_world(db)
    headers = bearer(world.patient_user)
    before = await _count(db)
    cases = [
        ({"appointmentDate": "15-01-2026"}, "appointmentDate", 422),
        ({"appointmentDate": "2026-02-30"}, "appointmentDate", 422),
        ({"appointmentTime": "25:00"}, "appointmentTime", 422),
        ({"appointmentTime": "10am"}, "appointmentTime", 422),
        ({"appointmentTime": 1000}, "appointmentTime", 422),
        ({"appointmentType": "VIDEO"}, "appointmentType", 422),
        ({"clinicianId": "x"}, "clinicianId", 422),
        ({"clinicianId": 424242}, "clinicianId", 404),
        ({"centreId": 424242}, "centreId", 404),
    ]
    for override, field, status in cases:
        response = await client.post("/api/booking/create", json=web_body(world, **override), headers=headers)
        assert response.status_code == status, (override, response.text)
        body = response.json()
        assert body["success"] is False and body["message"] == body["error"]["message"]
        assert any(d["field"] == field for d in body["error"]["details"]), (override, body)
    outside = await client.post("/api/booking/create", json=web_body(world, hhmm="08:30"), headers=headers)
    assert outside.status_code == 409
    assert await _count(db) == before


async def test_patient_lists_reads_and_cancels_only_their_own(client, db):
    world = await make_world(db)
    other = await make_patient(db, org=world.org)
    mine = (await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"),
                              headers=bearer(world.patient_user))).json()["data"]["appointment"]
    theirs = (await client.post("/api/booking/create", json=web_body(world, hhmm="11:00"),
                                headers=await patient_headers(db, other))).json()["data"]["appointment"]
    listed = (await client.get("/api/booking/my-appointments", headers=bearer(world.patient_user))).json()["data"]
    assert listed["total"] == 1 and [a["id"] for a in listed["appointments"]] == [mine["id"]]
    assert listed["appointments"][0]["clinician"]["name"] == "Dr. Meera Iyer"
    upcoming = (await client.get("/api/booking/my-appointments", params={"upcoming": "true", "limit": 5},
                                 headers=bearer(world.patient_user))).json()["data"]
    assert upcoming["total"] == 1
    assert (await client.get(f"/api/booking/{mine['id']}", headers=bearer(world.patient_user))).status_code == 200
    for path in (f"/api/booking/{theirs['id']}", f"/api/patient/appointments/{theirs['id']}"):
        assert (await client.get(path, headers=bearer(world.patient_user))).status_code == 404
    for path in (f"/api/booking/{theirs['id']}/cancel", f"/api/patient/appointments/{theirs['id']}/cancel"):
        response = await client.post(path, json={"reason": "x"}, headers=bearer(world.patient_user))
        assert response.status_code == 404
    row = await db.get(Appointment, theirs["id"])
    assert row.status == "BOOKED"
    cancelled = await client.post(f"/api/booking/{mine['id']}/cancel", headers=bearer(world.patient_user))
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "CANCELLED"


async def test_cancellation_window_is_24_hours(client, db):
    world = await make_world(db)
    now = utcnow().replace(microsecond=0)
    soon = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                 starts_at=now + timedelta(hours=23))
    later = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                  starts_at=now + timedelta(hours=25))
    headers = bearer(world.patient_user)
    for path in (f"/api/booking/{soon.id}/cancel", f"/api/patient/appointments/{soon.id}/cancel"):
        refused = await client.post(path, json={"reason": "busy"}, headers=headers)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "CANCELLATION_WINDOW_CLOSED"
    await db.refresh(soon)
    assert soon.status == "BOOKED"
    done = await client.post(f"/api/patient/appointments/{later.id}/cancel", json={"reason": "busy"},
                             headers=headers)
    assert done.status_code == 200 and done.json()["data"]["status"] == "CANCELLED"
    await db.refresh(later)
    assert later.cancellation_reason == "busy" and later.cancelled_by_user_id == world.patient_user.id


async def test_tokens_do_not_cross_surfaces(client, db):
    world = await make_world(db)
    staff, patient = bearer(world.admin), bearer(world.patient_user)
    assert (await client.post("/api/booking/create", json=web_body(world), headers=staff)).status_code == 403
    for path in ("/api/booking/my-appointments", "/api/patient/dashboard", "/api/patient/profile"):
        assert (await client.get(path, headers=staff)).status_code == 403
    for path in ("/api/appointments", "/api/appointments/my-appointments"):
        assert (await client.get(path, headers=patient)).status_code == 403
    refused = await client.post("/api/booking/front-desk", headers=patient, json={
        **web_body(world), "patientPhone": "9876543210", "patientName": "Ravi"})
    assert refused.status_code == 403
    assert (await client.get("/api/patient/notifications",
                             headers={"Authorization": "Bearer null"})).status_code == 401
    body = (await client.get("/api/patient/notifications/unread-count",
                             headers={"Authorization": "Bearer null"})).json()
    assert body["success"] is False and body["error"]["code"] == "UNAUTHORIZED"


async def test_front_desk_books_by_phone_finding_or_creating_the_patient(client, db):
    world = await make_world(db)
    body = {**web_body(world, hhmm="10:00"), "patientPhone": "9876501234", "patientName": "Ravi Kumar",
            "patientEmail": "ravi@example.com", "notes": "walk-in"}
    response = await client.post("/api/booking/front-desk", json=body, headers=bearer(world.desk))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["patient"]["phone"] == "919876501234" and data["patient"]["name"] == "Ravi Kumar"
    # the desk collects the consultation fee and the registration fee still due (₹100 on a first booking)
    assert data["paymentRequired"] is True and data["amount"] == 1600
    assert data["consultationFee"] == 1500 and data["registrationFee"] == 100
    assert data["patient"]["userId"] == data["patient"]["id"]
    patient = (await db.execute(select(Patient).where(Patient.phone == "+919876501234"))).scalar_one()
    assert (await db.execute(select(PatientRegistration).where(
        PatientRegistration.patient_id == patient.id,
        PatientRegistration.organization_id == world.org.id))).scalar_one()
    row = await db.get(Appointment, data["appointment"]["id"])
    assert row.source == "ADMIN_FRONT_DESK" and row.hold_expires_at is not None
    again = await client.post("/api/booking/front-desk", headers=bearer(world.desk),
                              json={**body, "appointmentTime": "11:00", "patientPhone": "+919876501234"})
    assert again.status_code == 201 and again.json()["data"]["patient"]["id"] == patient.id
    bad = await client.post("/api/booking/front-desk", headers=bearer(world.desk),
                            json={**body, "patientPhone": "12345"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "patientPhone"
    assert (await client.post("/api/booking/front-desk", headers=bearer(world.desk),
                              json={**body, "appointmentTime": "11:00"})).status_code == 409


async def test_a_patient_asking_again_for_the_slot_they_hold_gets_that_hold_back(client, db):
    """Checkout failed and the website books again: the patient's own running hold is theirs, not a 409."""
    from tests.builders.appointments import patient_user

    world = await make_world(db)
    first = await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"),
                              headers=bearer(world.patient_user))
    assert first.status_code == 201, first.text
    again = await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"),
                              headers=bearer(world.patient_user))
    assert again.status_code == 201, again.text
    assert again.json()["data"]["appointment"]["id"] == first.json()["data"]["appointment"]["id"]
    held = (await db.execute(select(Appointment).where(Appointment.patient_id == world.patient.id))).scalars().all()
    assert len(held) == 1
    # another patient still cannot have it, and a lapsed hold is not handed back
    stranger = await patient_user(db, await make_patient(db, org=world.org))
    taken = await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"), headers=bearer(stranger))
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "SLOT_UNAVAILABLE"
    held[0].hold_expires_at = utcnow() - timedelta(minutes=1)
    await db.flush()
    renewed = await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"),
                                headers=bearer(world.patient_user))
    assert renewed.status_code == 201 and renewed.json()["data"]["appointment"]["id"] != held[0].id
