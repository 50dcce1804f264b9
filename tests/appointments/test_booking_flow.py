"""The "Appointment Booking Flow" of hospital-design.md through HTTP, and the race for one slot."""
from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment
from clinicops.kit import phones
from tests.builders.appointments import make_world, web_body
from tests.builders.people import PASSWORD, bearer, make_patient, make_staff, next_phone

SECRET_KEYS = re.compile(r'"(password|password_hash|passwordHash|otp|otp_hash|code_hash|codeHash|token_hash|'
                         r'tokenHash|refresh_token_hash)"\s*:', re.IGNORECASE)


async def test_appointment_booking_flow(client, db):
    world = await make_world(db)
    desk_phone = next_phone()
    await make_staff(db, org=world.org, role="FRONT_DESK", centres=[world.centre], phone=desk_phone)

    # 1. Log in as front desk
    login = await client.post("/api/auth/login/phone-password",
                              json={"phone": phones.national(desk_phone), "password": PASSWORD})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}

    # 2. Create the patient
    patient = await client.post("/api/patients", headers=headers,
                                json={"fullName": "Test Patient", "phone": phones.national(next_phone())})
    assert patient.status_code == 201, patient.text
    patient_id = patient.json()["data"]["id"]

    # 3. Check the clinician's availability
    availability = await client.get("/api/appointments/availability", headers=headers, params={
        "clinicianId": world.clinician.id, "centreId": world.centre.id, "date": world.day.isoformat()})
    assert availability.status_code == 200, availability.text
    free = [s for s in availability.json()["data"]["slots"] if s["available"] and s["mode"] == "IN_PERSON"]
    assert free
    slot_start = free[0]["startsAt"]

    # 4. Book it
    booked = await client.post("/api/appointments", headers=headers, json={
        "patientId": patient_id, "clinicianId": world.clinician.id, "centreId": world.centre.id,
        "appointmentType": "IN_PERSON", "scheduledStartAt": slot_start, "durationMinutes": 30})
    assert booked.status_code == 201, booked.text
    data = booked.json()["data"]
    assert isinstance(data["id"], int) and data["status"] == "BOOKED"
    assert datetime.fromisoformat(data["scheduled_start_at"]) == datetime.fromisoformat(slot_start)

    # the slot is now taken for everyone
    again = await client.get("/api/appointments/availability", headers=headers, params={
        "clinicianId": world.clinician.id, "centreId": world.centre.id, "date": world.day.isoformat()})
    taken = [s for s in again.json()["data"]["slots"] if s["startsAt"] == slot_start and s["mode"] == "IN_PERSON"]
    assert taken and taken[0]["available"] is False


async def test_no_response_carries_secrets(client, db):
    world = await make_world(db)
    staff = await client.post("/api/appointments", headers=bearer(world.admin), json={
        "patient_id": world.patient.id, "clinician_id": world.clinician.id, "centre_id": world.centre.id,
        "appointment_type": "IN_PERSON", "scheduled_start_at": world.at("10:00").isoformat()})
    web = await client.post("/api/booking/create", json=web_body(world, hhmm="11:00"),
                            headers=bearer(world.patient_user))
    assert staff.status_code == 201 and web.status_code == 201
    responses = [staff, web]
    for path in (f"/api/appointments/{staff.json()['data']['id']}", "/api/appointments"):
        responses.append(await client.get(path, headers=bearer(world.admin)))
    for path in ("/api/booking/my-appointments", "/api/patient/dashboard", "/api/patient/profile",
                 "/api/patient/appointments", "/api/patient/payments", "/api/patient/notifications"):
        responses.append(await client.get(path, headers=bearer(world.patient_user)))
    for response in responses:
        assert response.status_code in (200, 201), (response.url, response.text)
        text = response.text
        assert not SECRET_KEYS.search(text), response.url
        assert "$argon2" not in text and "$2b$" not in text, response.url
        json.loads(text)


async def test_twenty_concurrent_bookings_of_one_slot_give_one_201(committed):
    factory, client = committed
    async with factory() as session:
        world = await make_world(session)
        patients = [world.patient] + [await make_patient(session, org=world.org) for _ in range(19)]
        users = [await session.get(type(world.admin), p.user_id) for p in patients]
        await session.commit()
    body = web_body(world, hhmm="10:00")

    async def attempt(user):
        return await client.post("/api/booking/create", json=body, headers=bearer(user))

    responses = await asyncio.gather(*(attempt(u) for u in users))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, [r.text for r in responses if r.status_code not in (201, 409)]
    assert codes.count(409) == 19
    assert all(r.json()["error"]["code"] == "SLOT_UNAVAILABLE" for r in responses if r.status_code == 409)
    async with factory() as session:
        active = (await session.execute(select(func.count()).select_from(Appointment).where(
            Appointment.clinician_id == world.clinician.id, Appointment.status == "BOOKED"))).scalar_one()
    assert active == 1


async def test_twenty_concurrent_staff_bookings_of_one_slot_give_one_201(committed):
    factory, client = committed
    async with factory() as session:
        world = await make_world(session)
        patients = [await make_patient(session, org=world.org) for _ in range(20)]
        await session.commit()

    async def attempt(patient):
        return await client.post("/api/appointments", headers=bearer(world.desk), json={
            "patient_id": patient.id, "clinician_id": world.clinician.id, "centre_id": world.centre.id,
            "appointment_type": "IN_PERSON", "scheduled_start_at": world.at("11:00").isoformat()})

    responses = await asyncio.gather(*(attempt(p) for p in patients))
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 1 and codes.count(409) == 19, [r.text for r in responses if r.status_code >= 500]
