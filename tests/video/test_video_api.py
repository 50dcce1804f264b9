"""/api/video: generate, read, replace, remove and list Meet links; staff only, within their scope."""

from __future__ import annotations

from sqlalchemy import select

from clinicops.auth.models import User
from clinicops.messaging.models import OutboxMessage
from tests.builders.messaging import make_booking
from tests.builders.organizations import make_centre
from tests.builders.people import bearer, make_staff
from tests.video.conftest import EVENTS_URL, meet_event

async def link_messages(db, appointment_id: int) -> list[str]:
    rows = await db.execute(select(OutboxMessage.template).where(
        OutboxMessage.appointment_id == appointment_id, OutboxMessage.template.like("online_consultation_link%")))
    return sorted(rows.scalars())

async def test_generate_offline_then_read_it_back(client, db):
    booking = await make_booking(db, mode="ONLINE")
    desk = await make_staff(db, org=booking.org, role="FRONT_DESK", centres=[booking.centre])
    made = await client.post("/api/video/generate-meet-link", json={"appointmentId": booking.appointment.id},
                             headers=bearer(desk))
    assert made.status_code == 200, made.text
    link = made.json()["data"]["meetLink"]
    assert link.startswith("https://meet.clinicops.invalid/")
    again = await client.post("/api/video/generate-meet-link", json={"appointment_id": booking.appointment.id},
                              headers=bearer(desk))
    assert again.json()["data"]["meetLink"] == link
    read = await client.get(f"/api/video/appointment/{booking.appointment.id}/meet-link", headers=bearer(desk))
    assert read.status_code == 200 and read.json()["data"]["meetLink"] == link
    assert await link_messages(db, booking.appointment.id) == ["online_consultation_link",
                                                                "online_consultation_link_clinician"]

async def test_before_confirmation_the_link_is_made_but_not_sent(client, db):
    booking = await make_booking(db, mode="ONLINE", status="BOOKED")
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    made = await client.post("/api/video/generate-meet-link", json={"appointmentId": booking.appointment.id},
                             headers=bearer(admin))
    assert made.status_code == 200 and made.json()["data"]["meetLink"]
    assert await link_messages(db, booking.appointment.id) == []

async def test_provider_down_is_a_503_and_changes_nothing(client, db, google):
    google.post(EVENTS_URL).respond(503)
    booking = await make_booking(db, mode="ONLINE")
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    response = await client.post("/api/video/generate-meet-link", json={"appointmentId": booking.appointment.id},
                                 headers=bearer(admin))
    assert response.status_code == 503 and response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    read = await client.get(f"/api/video/appointment/{booking.appointment.id}/meet-link", headers=bearer(admin))
    assert read.json()["data"]["meetLink"] is None

async def test_generate_with_google(client, db, google):
    google.post(EVENTS_URL).respond(200, json=meet_event("evt-9", "https://meet.google.com/gen-erat-edd"))
    booking = await make_booking(db, mode="ONLINE")
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    response = await client.post("/api/video/generate-meet-link", json={"appointmentId": booking.appointment.id},
                                 headers=bearer(admin))
    assert response.json()["data"]["meetLink"] == "https://meet.google.com/gen-erat-edd"
    assert response.json()["data"]["eventId"] == "evt-9"

async def test_replace_and_remove_a_link(client, db):
    booking = await make_booking(db, mode="ONLINE")
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    path = f"/api/video/appointment/{booking.appointment.id}/meet-link"
    put = await client.put(path, json={"meetLink": "https://meet.google.com/own-room-xyz"}, headers=bearer(admin))
    assert put.status_code == 200 and put.json()["data"]["meetLink"] == "https://meet.google.com/own-room-xyz"
    assert len(await link_messages(db, booking.appointment.id)) == 2
    bad = await client.put(path, json={"meetLink": "javascript:alert(1)"}, headers=bearer(admin))
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "meetLink"
    removed = await client.delete(path, headers=bearer(admin))
    assert removed.status_code == 200 and removed.json()["data"]["meetLink"] is None
    assert (await client.get(path, headers=bearer(admin))).json()["data"]["meetLink"] is None

async def test_in_person_appointments_have_no_link(client, db):
    booking = await make_booking(db)
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    response = await client.post("/api/video/generate-meet-link", json={"appointmentId": booking.appointment.id},
                                 headers=bearer(admin))
    assert response.status_code == 409

async def test_scope_other_organizations_centres_and_clinicians(client, db):
    booking = await make_booking(db, mode="ONLINE")
    other_org = await make_booking(db, mode="ONLINE")
    other_centre = await make_centre(db, org=booking.org)
    desk_elsewhere = await make_staff(db, org=booking.org, role="FRONT_DESK", centres=[other_centre])
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    other_doctor = await make_booking(db, org=booking.org, centre=booking.centre, mode="ONLINE")
    doctor = await db.get(User, booking.clinician.user_id)
    path = "/api/video/appointment/{}/meet-link"
    assert (await client.get(path.format(other_org.appointment.id), headers=bearer(admin))).status_code == 404
    assert (await client.get(path.format(booking.appointment.id), headers=bearer(desk_elsewhere))).status_code == 404
    assert (await client.get(path.format(booking.appointment.id), headers=bearer(doctor))).status_code == 200
    assert (await client.get(path.format(other_doctor.appointment.id), headers=bearer(doctor))).status_code == 404
    patient = await db.get(User, booking.patient.user_id)
    assert (await client.get(path.format(booking.appointment.id), headers=bearer(patient))).status_code == 403
    assert (await client.get(path.format(booking.appointment.id))).status_code == 401

async def test_list_links_is_scoped_and_paginated(client, db):
    booking = await make_booking(db, mode="ONLINE")
    second = await make_booking(db, org=booking.org, centre=booking.centre, mode="ONLINE")
    elsewhere_centre = await make_centre(db, org=booking.org)
    elsewhere = await make_booking(db, org=booking.org, centre=elsewhere_centre, mode="ONLINE")
    foreign = await make_booking(db, mode="ONLINE")
    for b, n in ((booking, 1), (second, 2), (elsewhere, 3), (foreign, 4)):
        b.appointment.meet_link = f"https://meet.google.com/aaa-bbbb-cc{n}"
    await db.flush()
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    desk = await make_staff(db, org=booking.org, role="FRONT_DESK", centres=[booking.centre])
    everything = (await client.get("/api/video/links", headers=bearer(admin))).json()["data"]
    assert everything["total"] == 3
    assert {x["appointmentId"] for x in everything["links"]} == {booking.appointment.id, second.appointment.id,
                                                                 elsewhere.appointment.id}
    assert everything["links"][0]["patientName"] == "Asha Rao"
    at_desk = (await client.get("/api/video/links", headers=bearer(desk))).json()["data"]
    assert {x["appointmentId"] for x in at_desk["links"]} == {booking.appointment.id, second.appointment.id}
    page = (await client.get("/api/video/links", headers=bearer(admin), params={"limit": 2, "offset": 2})).json()
    assert page["data"]["total"] == 3 and len(page["data"]["links"]) == 1
    filtered = (await client.get("/api/video/links", headers=bearer(admin),
                                 params={"centreId": elsewhere_centre.id})).json()["data"]
    assert [x["appointmentId"] for x in filtered["links"]] == [elsewhere.appointment.id]
    assert (await client.get("/api/video/links", headers=bearer(desk),
                             params={"centreId": elsewhere_centre.id})).status_code == 404
