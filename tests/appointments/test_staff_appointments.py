"""Staff appointments (/api/appointments): create, read, history, status changes, reschedule, cancel, roles."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.kit.timezones import UTC
from tests.builders.appointments import book_as_staff, make_world, staff_body
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff


async def _count(db) -> int:
    return (await db.execute(select(func.count()).select_from(Appointment))).scalar_one()


async def test_front_desk_books_a_slot(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.desk, world.at("10:00"), notes="first visit")
    assert data["status"] == "BOOKED"
    assert data["source"] == "ADMIN_FRONT_DESK"
    assert datetime.fromisoformat(data["scheduled_start_at"]) == world.at("10:00")
    assert datetime.fromisoformat(data["scheduled_end_at"]) == world.at("10:30")
    assert data["duration_minutes"] == 30 and data["consultation_fee"] == 1500
    assert data["patient_name"] == world.patient.full_name and data["clinician_name"] == "Dr. Meera Iyer"
    assert data["booked_by_name"] == "Dev Desk" and data["patient_phone"] == world.patient.phone.lstrip("+")
    row = await db.get(Appointment, data["id"])
    assert row.hold_expires_at is not None  # an unpaid desk booking does not hold its slot forever


async def test_camel_case_body_and_wall_clock_in_centre_zone(client, db):
    world = await make_world(db)
    body = {"patientId": world.patient.id, "clinicianId": world.clinician.id, "centreId": world.centre.id,
            "appointmentType": "IN_PERSON", "scheduledStartAt": f"{world.day.isoformat()}T11:00:00",
            "durationMinutes": 30}
    response = await client.post("/api/appointments", json=body, headers=bearer(world.admin))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert datetime.fromisoformat(data["scheduled_start_at"]) == world.at("11:00")
    assert data["source"] == "ADMIN"


async def test_follow_up_kind_maps_to_in_person(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("09:30"), appointment_type="FOLLOW_UP")
    assert data["appointment_type"] == "FOLLOW_UP" and data["mode"] == "IN_PERSON" and data["kind"] == "FOLLOW_UP"
    online = await book_as_staff(client, world, world.admin, world.at("14:00"), appointment_type="FOLLOW_UP",
                                 mode="ONLINE")
    assert online["mode"] == "ONLINE" and online["kind"] == "FOLLOW_UP"


async def test_overlap_and_times_outside_rules_are_409(client, db):
    world = await make_world(db)
    await book_as_staff(client, world, world.admin, world.at("10:00"))
    before = await _count(db)
    for start, mode in ((world.at("10:00"), "IN_PERSON"), (world.at("10:15"), "IN_PERSON"),
                        (world.at("13:30"), "IN_PERSON"), (world.at("10:30"), "ONLINE")):
        response = await client.post("/api/appointments", headers=bearer(world.admin),
                                     json=staff_body(world, starts_at=start, appointment_type=mode))
        assert response.status_code == 409, (start, mode, response.text)
        assert response.json()["error"]["code"] == "SLOT_UNAVAILABLE"
    assert await _count(db) == before


async def test_adjacent_slots_both_book_and_a_long_one_blocks_what_it_overlaps(client, db):
    world = await make_world(db)
    await book_as_staff(client, world, world.admin, world.at("10:00"))
    await book_as_staff(client, world, world.admin, world.at("10:30"))
    await book_as_staff(client, world, world.admin, world.at("11:00"), duration_minutes=50)
    refused = await client.post("/api/appointments", headers=bearer(world.admin),
                                json=staff_body(world, starts_at=world.at("11:30")))
    assert refused.status_code == 409
    assert (await client.post("/api/appointments", headers=bearer(world.admin),
                              json=staff_body(world, starts_at=world.at("12:00")))).status_code == 201


async def test_bad_input_names_the_field_and_writes_nothing(client, db):
    world = await make_world(db)
    before = await _count(db)
    cases = [
        ({"scheduled_start_at": "tomorrow at ten"}, "scheduled_start_at", 422),
        ({"scheduled_start_at": "2026-13-45T10:00:00"}, "scheduled_start_at", 422),
        ({"appointment_type": "TELEPATHY"}, "appointment_type", 422),
        ({"clinician_id": "abc"}, "clinician_id", 422),
        ({"clinician_id": 12.5}, "clinician_id", 422),
        ({"duration_minutes": 2}, "duration_minutes", 422),
        ({"clinician_id": 999999}, "clinician_id", 404),
        ({"centre_id": 999999}, "centre_id", 404),
        ({"patient_id": 999999}, "patient_id", 404),
    ]
    for override, field, status in cases:
        body = staff_body(world, starts_at=world.at("10:00"))
        body.update(override)
        response = await client.post("/api/appointments", json=body, headers=bearer(world.admin))
        assert response.status_code == status, (override, response.text)
        error = response.json()["error"]
        assert any(d["field"] == field for d in error["details"]), (override, error)
    missing = staff_body(world, starts_at=world.at("10:00"))
    del missing["centre_id"]
    response = await client.post("/api/appointments", json=missing, headers=bearer(world.admin))
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "centreId"
    assert await _count(db) == before


async def test_body_cannot_set_protected_fields(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.desk, world.at("10:00"), status="CONFIRMED",
                               source="WEB_PATIENT", fee_paise=0, consultation_fee=1, organization_id=999,
                               hold_expires_at=None)
    assert data["status"] == "BOOKED" and data["source"] == "ADMIN_FRONT_DESK" and data["consultation_fee"] == 1500
    row = await db.get(Appointment, data["id"])
    assert row.organization_id == world.org.id


async def test_detail_and_history_record_every_change(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    headers = bearer(world.admin)
    confirmed = await client.patch(f"/api/appointments/{data['id']}/status", headers=headers,
                                   json={"status": "CONFIRMED", "reason": "paid at desk"})
    assert confirmed.status_code == 200 and confirmed.json()["data"]["status"] == "CONFIRMED"
    early = await client.put(f"/api/appointments/{data['id']}", headers=headers, json={"status": "COMPLETED"})
    assert early.status_code == 409  # three days ahead: it cannot have been completed
    cancelled = await client.put(f"/api/appointments/{data['id']}", headers=headers,
                                 json={"status": "CANCELLED", "reason": "doctor away"})
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "CANCELLED"
    history = (await client.get(f"/api/appointments/{data['id']}/history", headers=headers)).json()["data"]
    assert [(h["fromStatus"], h["toStatus"]) for h in history] == [
        (None, "BOOKED"), ("BOOKED", "CONFIRMED"), ("CONFIRMED", "CANCELLED")]
    assert history[1]["reason"] == "paid at desk" and history[1]["changedBy"] == world.admin.id
    assert all(h["changedAt"] for h in history)
    detail = (await client.get(f"/api/appointments/{data['id']}", headers=headers)).json()["data"]
    assert detail["statusHistory"] == history


async def test_illegal_transitions_are_409_and_change_nothing(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    headers = bearer(world.admin)
    assert (await client.post(f"/api/appointments/{data['id']}/cancel", headers=headers,
                              json={"reason": "patient asked"})).status_code == 200
    for status in ("CONFIRMED", "COMPLETED", "BOOKED"):
        response = await client.patch(f"/api/appointments/{data['id']}/status", headers=headers,
                                      json={"status": status})
        assert response.status_code == 409 and response.json()["error"]["code"] == "INVALID_TRANSITION"
    bad = await client.patch(f"/api/appointments/{data['id']}/status", headers=headers, json={"status": "PARTY"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "status"
    row = await db.get(Appointment, data["id"])
    await db.refresh(row)
    assert row.status == "CANCELLED" and row.cancellation_reason == "patient asked"


async def test_cancelled_slot_is_bookable_again(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    deleted = await client.request("DELETE", f"/api/appointments/{data['id']}", headers=bearer(world.desk),
                                   json={"reason": "clash"})
    assert deleted.status_code == 200 and deleted.json()["data"]["status"] == "CANCELLED"
    again = await book_as_staff(client, world, world.admin, world.at("10:00"))
    assert again["id"] != data["id"]


async def test_reschedule_moves_the_same_appointment_and_records_both_times(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    headers = bearer(world.admin)
    await client.patch(f"/api/appointments/{data['id']}/status", headers=headers, json={"status": "CONFIRMED"})
    moved = await client.post(f"/api/appointments/{data['id']}/reschedule", headers=headers,
                              json={"scheduled_start_at": world.at("10:15").isoformat()})
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "SLOT_UNAVAILABLE"  # not a slot start
    moved = await client.post(f"/api/appointments/{data['id']}/reschedule", headers=headers,
                              json={"scheduled_start_at": world.at("10:30").isoformat(), "reason": "late"})
    assert moved.status_code == 200, moved.text
    same = moved.json()["data"]
    assert same["id"] == data["id"] and same["parent_appointment_id"] is None
    assert same["status"] == "CONFIRMED"  # a paid booking stays paid when moved
    assert datetime.fromisoformat(same["scheduled_start_at"]) == world.at("10:30")
    history = (await client.get(f"/api/appointments/{data['id']}", headers=headers)).json()["data"]["statusHistory"]
    assert [(h["fromStatus"], h["toStatus"]) for h in history] == [
        (None, "BOOKED"), ("BOOKED", "CONFIRMED"), ("CONFIRMED", "CONFIRMED")]
    assert history[-1]["reason"] == (f"Rescheduled from {world.at('10:00').isoformat()} "
                                     f"to {world.at('10:30').isoformat()}: late")
    assert history[-1]["changedBy"] == world.admin.id
    assert await _count(db) == 1  # no second row
    # the old time is free again; the new one is taken
    assert (await client.post("/api/appointments", headers=headers,
                              json=staff_body(world, starts_at=world.at("10:00")))).status_code == 201
    assert (await client.post("/api/appointments", headers=headers,
                              json=staff_body(world, starts_at=world.at("10:30")))).status_code == 409


async def test_a_long_appointment_moves_by_less_than_its_length(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"), duration_minutes=60)
    moved = await client.put(f"/api/appointments/{data['id']}", headers=bearer(world.admin),
                             json={"scheduledStartAt": world.at("10:30").isoformat()})
    assert moved.status_code == 200, moved.text
    body = moved.json()["data"]
    assert body["id"] == data["id"] and body["duration_minutes"] == 60
    assert datetime.fromisoformat(body["scheduled_end_at"]) == world.at("11:30")


async def test_reschedule_onto_a_taken_slot_changes_nothing(client, db):
    world = await make_world(db)
    first = await book_as_staff(client, world, world.admin, world.at("10:00"))
    await book_as_staff(client, world, world.admin, world.at("11:00"))
    headers = bearer(world.admin)
    refused = await client.put(f"/api/appointments/{first['id']}", headers=headers,
                               json={"scheduledStartAt": world.at("11:00").isoformat()})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "SLOT_UNAVAILABLE"
    still = (await client.get(f"/api/appointments/{first['id']}", headers=headers)).json()["data"]
    assert still["status"] == "BOOKED" and len(still["statusHistory"]) == 1
    assert datetime.fromisoformat(still["scheduled_start_at"]) == world.at("10:00")
    moved = await client.patch(f"/api/appointments/{first['id']}/reschedule", headers=headers,
                               json={"scheduledStartAt": world.at("12:00").isoformat()})
    assert moved.status_code == 200 and moved.json()["data"]["id"] == first["id"]
    again = await client.patch(f"/api/appointments/{first['id']}/reschedule", headers=headers,
                               json={"scheduledStartAt": world.at("12:30").isoformat()})
    assert again.status_code == 200 and again.json()["data"]["id"] == first["id"]  # moved twice, one appointment
    await client.post(f"/api/appointments/{first['id']}/cancel", headers=headers, json={"reason": "x"})
    done = await client.patch(f"/api/appointments/{first['id']}/reschedule", headers=headers,
                              json={"scheduledStartAt": world.at("09:00").isoformat()})
    assert done.status_code == 409 and done.json()["error"]["code"] == "INVALID_TRANSITION"
    assert done.json()["error"]["details"][0]["currentStatus"] == "CANCELLED"


async def test_list_filters_and_role_scope(client, db):
    world = await make_world(db)
    other_centre = await make_centre(db, org=world.org)
    other_doc = await make_clinician(db, org=world.org, centre=other_centre, weekdays=tuple(range(7)),
                                     full_name="Dr. Other")
    here = await book_as_staff(client, world, world.admin, world.at("10:00"))
    there_body = staff_body(world, starts_at=world.at("10:00"), clinician_id=other_doc.id,
                            centre_id=other_centre.id)
    there = await client.post("/api/appointments", json=there_body, headers=bearer(world.admin))
    assert there.status_code == 201, there.text
    there = there.json()["data"]

    async def ids(user, **params) -> set[int]:
        response = await client.get("/api/appointments", params=params, headers=bearer(user))
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["data"]}

    assert await ids(world.admin) == {here["id"], there["id"]}
    assert await ids(world.admin, centreId=other_centre.id) == {there["id"]}
    assert await ids(world.admin, clinician_id=world.clinician.id) == {here["id"]}
    assert await ids(world.admin, date=world.day.isoformat()) == {here["id"], there["id"]}
    assert await ids(world.admin, date=(world.day + timedelta(days=1)).isoformat()) == set()
    assert await ids(world.admin, status="CANCELLED") == set()
    assert await ids(world.desk) == {here["id"]}  # front desk: their centre only
    doctor = await db.get(type(world.admin), world.clinician.user_id)
    assert await ids(doctor) == {here["id"]}  # a clinician: own appointments only
    manager = await make_staff(db, org=world.org, role="CENTRE_MANAGER", centres=[other_centre])
    assert await ids(manager) == {there["id"]}
    # out of scope is 404, never 403
    for user, hidden in ((world.desk, there), (manager, here), (doctor, there)):
        assert (await client.get(f"/api/appointments/{hidden['id']}", headers=bearer(user))).status_code == 404
    assert (await client.post(f"/api/appointments/{there['id']}/cancel", headers=bearer(world.desk),
                              json={"reason": "x"})).status_code == 404
    refused = await client.post("/api/appointments", headers=bearer(world.desk), json=there_body)
    assert refused.status_code == 404 and refused.json()["error"]["details"][0]["field"] == "centre_id"
    bad = await client.get("/api/appointments", params={"date": "15/01/2026"}, headers=bearer(world.admin))
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "date"


async def test_another_organization_is_invisible(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    elsewhere = await make_org(db)
    stranger = await make_staff(db, org=elsewhere, role="ADMIN")
    assert (await client.get(f"/api/appointments/{data['id']}", headers=bearer(stranger))).status_code == 404
    assert (await client.get("/api/appointments", headers=bearer(stranger))).json()["data"] == []
    foreign_patient = await make_patient(db, org=elsewhere)
    response = await client.post("/api/appointments", headers=bearer(world.admin),
                                 json=staff_body(world, starts_at=world.at("11:00"), patient=foreign_patient))
    assert response.status_code == 404


async def test_role_permissions(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    doctor = await db.get(type(world.admin), world.clinician.user_id)
    coordinator = await make_staff(db, org=world.org, role="CARE_COORDINATOR", centres=[world.centre])
    body = staff_body(world, starts_at=world.at("11:00"))
    assert (await client.post("/api/appointments", json=body, headers=bearer(doctor))).status_code == 403
    # FRONT_DESK may book and cancel but not edit
    assert (await client.put(f"/api/appointments/{data['id']}", json={"notes": "x"},
                             headers=bearer(world.desk))).status_code == 403
    assert (await client.put(f"/api/appointments/{data['id']}", json={"notes": "call first"},
                             headers=bearer(coordinator))).json()["data"]["notes"] == "call first"
    assert (await client.post("/api/appointments", json=body, headers=bearer(coordinator))).json()["data"][
        "source"] == "ADMIN_CARE_COORDINATOR"
    assert (await client.get("/api/appointments", headers={"Authorization": "Bearer null"})).status_code == 401
    assert (await client.get("/api/appointments")).status_code == 401


async def test_clinician_sessions_and_my_appointments(client, db):
    from tests.builders.slots import add_appointment

    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    doctor = await db.get(type(world.admin), world.clinician.user_id)
    # a confirmed appointment starting in five minutes (written directly: booking refuses nothing here)
    soon = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                 starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5),
                                 status="CONFIRMED")
    other = await make_clinician(db, org=world.org, centre=world.centre, full_name="Dr. Else")
    other_user = await db.get(type(world.admin), other.user_id)
    assert (await client.post(f"/api/appointments/{soon.id}/start-session",
                              headers=bearer(other_user))).status_code == 404
    assert (await client.post(f"/api/appointments/{soon.id}/start-session",
                              headers=bearer(world.desk))).status_code == 403
    unpaid = await client.post(f"/api/appointments/{data['id']}/start-session", headers=bearer(doctor))
    assert unpaid.status_code == 409 and unpaid.json()["error"]["details"][0]["currentStatus"] == "BOOKED"
    started = await client.post(f"/api/appointments/{soon.id}/start-session", headers=bearer(doctor))
    assert started.status_code == 200 and started.json()["data"]["status"] == "IN_PROGRESS"
    assert started.json()["data"]["session_started_at"]
    ended = await client.post(f"/api/appointments/{soon.id}/end-session", headers=bearer(doctor))
    assert ended.status_code == 200 and ended.json()["data"]["status"] == "COMPLETED"
    assert ended.json()["data"]["session_ended_at"]
    again = await client.post(f"/api/appointments/{soon.id}/start-session", headers=bearer(doctor))
    assert again.status_code == 409
    mine = (await client.get("/api/appointments/my-appointments", headers=bearer(doctor))).json()["data"]
    # "soon" is today at the centre, or tomorrow when the test runs in the five minutes before its midnight
    zone_now = datetime.now(UTC).astimezone(ZoneInfo(world.centre.timezone))
    soon_is_tomorrow = (zone_now + timedelta(minutes=5)).date() != zone_now.date()
    expected_upcoming = ([soon.id] if soon_is_tomorrow else []) + [data["id"]]
    assert [row["id"] for row in mine["upcoming"]] == expected_upcoming
    assert (soon.id in [row["id"] for row in mine["current"]]) is not soon_is_tomorrow
    assert mine["summary"]["upcomingCount"] == len(expected_upcoming) and mine["summary"]["pastCount"] == 0
    events = (await db.execute(select(AppointmentEvent.actor).where(
        AppointmentEvent.appointment_id == soon.id).order_by(AppointmentEvent.id))).scalars().all()
    assert events == ["CLINICIAN", "CLINICIAN"]


async def test_past_time_is_refused(client, db):
    world = await make_world(db)
    past = datetime.now(UTC) - timedelta(days=1)
    response = await client.post("/api/appointments", headers=bearer(world.admin),
                                 json=staff_body(world, starts_at=past.replace(minute=0, second=0, microsecond=0)))
    assert response.status_code == 409


async def test_put_with_unchanged_wall_clock_time_is_not_a_reschedule(client, db):
    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    same = await client.put(f"/api/appointments/{data['id']}", headers=bearer(world.admin), json={
        "scheduledStartAt": f"{world.day.isoformat()}T10:00:00", "status": "scheduled", "notes": "kept"})
    assert same.status_code == 200, same.text
    assert same.json()["data"]["id"] == data["id"] and same.json()["data"]["notes"] == "kept"
    assert same.json()["data"]["status"] == "BOOKED"
    moved = await client.put(f"/api/appointments/{data['id']}", headers=bearer(world.admin), json={
        "scheduledStartAt": f"{world.day.isoformat()}T12:00:00", "status": "confirmed"})
    assert moved.status_code == 200, moved.text
    new = moved.json()["data"]
    assert new["id"] == data["id"] and new["parent_appointment_id"] is None
    assert new["status"] == "CONFIRMED" and datetime.fromisoformat(new["scheduled_start_at"]) == world.at("12:00")


async def test_payment_stays_with_a_rescheduled_appointment(client, db):
    from clinicops.payments.models import Payment

    world = await make_world(db)
    data = await book_as_staff(client, world, world.admin, world.at("10:00"))
    headers = bearer(world.admin)
    paid = await client.post(f"/api/appointments/{data['id']}/confirm-direct-payment", headers=headers,
                             json={"paymentMethod": "CASH"})
    assert paid.status_code == 200, paid.text
    moved = await client.post(f"/api/appointments/{data['id']}/reschedule", headers=headers,
                              json={"scheduled_start_at": world.at("11:00").isoformat()})
    assert moved.status_code == 200, moved.text
    new_id = moved.json()["data"]["id"]
    assert new_id == data["id"] and moved.json()["data"]["payment_status"] == "SUCCESS"
    payments = (await db.execute(select(Payment).where(Payment.patient_id == world.patient.id))).scalars().all()
    assert [p.appointment_id for p in payments] == [new_id]
    cancelled = await client.post(f"/api/appointments/{new_id}/cancel", headers=headers, json={"reason": "clash"})
    assert cancelled.status_code == 200
    await db.refresh(payments[0])
    assert payments[0].refund_eligible_paise and payments[0].refund_eligible_paise > 0


async def test_the_exclusion_constraint_guards_a_moved_row(db):
    """Behind the slot check, the database refuses an UPDATE that moves a row onto another (23P01 -> 409)."""
    import pytest

    from clinicops.appointments import repository
    from clinicops.errors import SlotUnavailable
    from tests.builders.slots import add_appointment

    world = await make_world(db)
    first = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                  starts_at=world.at("10:00"))
    second = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                   starts_at=world.at("11:00"))
    savepoint = await db.begin_nested()
    second.starts_at, second.ends_at = first.starts_at + timedelta(minutes=15), first.ends_at + timedelta(minutes=15)
    with pytest.raises(SlotUnavailable):
        await repository.write_time(db)
    await savepoint.rollback()
