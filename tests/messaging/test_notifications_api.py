"""/api/notifications: ADMIN and MANAGER only, organization-scoped, OTP codes never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinicops.kit import phones
from clinicops.kit.timezones import utcnow, zone
from clinicops.messaging import notify, service
from clinicops.messaging.models import OutboxMessage
from tests.builders.messaging import make_booking
from tests.builders.people import bearer, make_staff


async def queue_otp(db, org_id: int, phone: str) -> int:
    return await service.queue_message(db, template="otp", recipient=phone, organization_id=org_id,
                                       params={"otp": "918273", "organization": "Mibo", "minutes": 10})


@pytest.mark.parametrize(("role", "allowed"), [("ADMIN", True), ("MANAGER", True), ("CENTRE_MANAGER", False),
                                               ("FRONT_DESK", False), ("CARE_COORDINATOR", False),
                                               ("CLINICIAN", False)])
async def test_only_admin_and_manager_read_the_log(client, db, role, allowed):
    booking = await make_booking(db)
    user = await make_staff(db, org=booking.org, role=role, centres=[booking.centre])
    for path in ("/api/notifications/history", "/api/notifications/stats"):
        response = await client.get(path, headers=bearer(user))
        assert response.status_code == (200 if allowed else 403), (path, response.text)
    send = await client.post("/api/notifications/appointment-reminder",
                             json={"appointmentId": booking.appointment.id}, headers=bearer(user))
    assert send.status_code == (200 if allowed else 403)


async def test_patients_and_anonymous_callers_are_refused(client, db):
    booking = await make_booking(db)
    from clinicops.auth.models import User

    patient_user = await db.get(User, booking.patient.user_id)
    assert (await client.get("/api/notifications/history", headers=bearer(patient_user))).status_code == 403
    assert (await client.get("/api/notifications/history")).status_code == 401


async def test_history_filters_pages_and_hides_otp_codes(client, db):
    booking = await make_booking(db)
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    await notify.appointment_confirmed(db, booking.appointment)
    otp_id = await queue_otp(db, booking.org.id, booking.patient.phone)
    other = await make_booking(db)  # another organization's messages never show
    await notify.appointment_confirmed(db, other.appointment)

    everything = (await client.get("/api/notifications/history", headers=bearer(admin))).json()["data"]
    assert everything["total"] == 2
    assert {n["type"] for n in everything["notifications"]} == {"otp", "booking_confirmation"}
    otp = next(n for n in everything["notifications"] if n["id"] == otp_id)
    assert "918273" not in str(otp) and otp["message"].startswith("****** is your verification code")
    assert otp["phone"] == phones.wire(booking.patient.phone)

    only = (await client.get("/api/notifications/history", headers=bearer(admin), params={
        "type": "booking_confirmation", "appointmentId": booking.appointment.id,
        "phone": phones.national(booking.patient.phone), "status": "queued"})).json()["data"]
    assert [n["appointmentId"] for n in only["notifications"]] == [booking.appointment.id]
    assert only["notifications"][0]["status"] == "QUEUED"

    paged = (await client.get("/api/notifications/history", headers=bearer(admin),
                              params={"limit": 1, "offset": 1})).json()["data"]
    assert paged["total"] == 2 and len(paged["notifications"]) == 1 and paged["limit"] == 1
    bad = await client.get("/api/notifications/history", headers=bearer(admin), params={"status": "LOST"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "status"


async def test_history_date_range_is_the_organizations_days(client, db):
    booking = await make_booking(db)
    admin = await make_staff(db, org=booking.org, role="MANAGER")
    message_id = await queue_otp(db, booking.org.id, booking.patient.phone)
    row = await db.get(OutboxMessage, message_id)
    row.created_at = utcnow() - timedelta(days=10)
    await db.flush()
    day = row.created_at.astimezone(zone(booking.org.timezone)).date()
    inside = (await client.get("/api/notifications/history", headers=bearer(admin),
                               params={"from": day.isoformat(), "to": day.isoformat()})).json()["data"]
    after = (await client.get("/api/notifications/history", headers=bearer(admin),
                              params={"from": (day + timedelta(days=1)).isoformat()})).json()["data"]
    assert [n["id"] for n in inside["notifications"]] == [message_id]
    assert after["total"] == 0


async def test_stats_count_by_status_and_template(client, db):
    booking = await make_booking(db)
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    await notify.appointment_confirmed(db, booking.appointment)
    first = await queue_otp(db, booking.org.id, booking.patient.phone)
    await queue_otp(db, booking.org.id, booking.patient.phone)
    (await db.get(OutboxMessage, first)).status = "DELIVERED"
    await db.flush()
    data = (await client.get("/api/notifications/stats", headers=bearer(admin))).json()["data"]
    assert data["total"] == 3
    assert data["byStatus"]["QUEUED"] == 2 and data["byStatus"]["DELIVERED"] == 1 and data["byStatus"]["FAILED"] == 0
    assert data["byTemplate"]["otp"] == {"total": 2, "QUEUED": 1, "DELIVERED": 1}
    assert data["byTemplate"]["booking_confirmation"]["total"] == 1


async def test_one_message_by_id_and_another_organizations_is_404(client, db):
    booking = await make_booking(db)
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    mine = await queue_otp(db, booking.org.id, booking.patient.phone)
    other = await make_booking(db)
    theirs = await queue_otp(db, other.org.id, other.patient.phone)
    response = await client.get(f"/api/notifications/{mine}", headers=bearer(admin))
    assert response.status_code == 200 and response.json()["data"]["id"] == mine
    assert (await client.get(f"/api/notifications/{theirs}", headers=bearer(admin))).status_code == 404
    assert (await client.get("/api/notifications/99999999", headers=bearer(admin))).status_code == 404


async def test_staff_sends_confirmation_and_reminder_on_demand(client, db):
    booking = await make_booking(db)
    admin = await make_staff(db, org=booking.org, role="ADMIN")
    path = "/api/notifications/appointment-confirmation"
    once = {"Idempotency-Key": "resend-1", **bearer(admin)}
    first = await client.post(path, json={"appointmentId": booking.appointment.id}, headers=once)
    retried = await client.post(path, json={"appointment_id": booking.appointment.id}, headers=once)
    again = await client.post(path, json={"appointmentId": booking.appointment.id}, headers=bearer(admin))
    assert first.status_code == retried.status_code == again.status_code == 200
    assert first.json()["data"]["notificationId"] is not None and retried.json()["data"]["notificationId"] is None
    reminder = await client.post("/api/notifications/appointment-reminder",
                                 json={"appointmentId": booking.appointment.id}, headers=bearer(admin))
    assert reminder.status_code == 200
    rows = (await db.execute(select(OutboxMessage.template).where(
        OutboxMessage.appointment_id == booking.appointment.id))).scalars().all()
    assert sorted(rows) == ["appointment_reminder", "booking_confirmation", "booking_confirmation"]

    other = await make_booking(db)
    foreign = await client.post(path, json={"appointmentId": other.appointment.id}, headers=bearer(admin))
    assert foreign.status_code == 404
    cancelled = await make_booking(db, org=booking.org, centre=booking.centre, status="CANCELLED")
    refused = await client.post(path, json={"appointmentId": cancelled.appointment.id}, headers=bearer(admin))
    assert refused.status_code == 409
    missing = await client.post(path, json={}, headers=bearer(admin))
    assert missing.status_code == 422
