"""Dated exceptions and slot blocks: stored rows, affected appointments by overlap, notices through the outbox."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from clinicops.auth.models import User
from clinicops.clinicians.models import AvailabilityException, Clinician
from clinicops.messaging.models import OutboxMessage
from clinicops.patients.models import Patient
from tests.builders.availability import future_weekday, make_appointment, make_exception
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient


async def exceptions_of(db, clinician_id: int) -> list[tuple]:
    rows = await db.execute(select(AvailabilityException.kind, AvailabilityException.start_date,
                                   AvailabilityException.end_date, AvailabilityException.start_time,
                                   AvailabilityException.end_time, AvailabilityException.centre_id)
                            .where(AvailabilityException.clinician_id == clinician_id)
                            .order_by(AvailabilityException.start_date, AvailabilityException.id))
    return [tuple(r) for r in rows]


async def notices(db, template: str = "slot_blocked") -> list[OutboxMessage]:
    return list((await db.execute(select(OutboxMessage).where(OutboxMessage.template == template)
                                  .order_by(OutboxMessage.id))).scalars())


async def test_block_lists_appointments_by_overlap_and_notifies_without_cancelling(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    overlapping = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(10, 15),
                                         minutes=50, patient=await make_patient(db, org=chain.org))
    adjacent = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(11, 30),
                                      patient=await make_patient(db, org=chain.org))
    before = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(10),
                                    minutes=15, patient=await make_patient(db, org=chain.org))
    await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(11), status="CANCELLED",
                           patient=await make_patient(db, org=chain.org))
    response = await client.post("/api/admin/slots/block", headers=chain.auth("ADMIN"), json={
        "clinicianId": doctor.id, "centreId": chain.north.id, "date": day.isoformat(), "startTime": "11:00",
        "endTime": "11:30", "reason": "Board meeting"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert [a["id"] for a in data["affectedAppointments"]] == [overlapping.id]
    affected = data["affectedAppointments"][0]
    assert (affected["date"], affected["startTime"], affected["endTime"]) == (day.isoformat(), "10:15", "11:05")
    assert data["block"]["startTime"] == "11:00" and data["block"]["type"] == "UNAVAILABLE"
    assert data["notifiedCount"] == 1
    [notice] = await notices(db)
    assert notice.appointment_id == overlapping.id and notice.patient_id == overlapping.patient_id
    assert notice.recipient == (await db.get(Patient, overlapping.patient_id)).phone
    assert "Dr. North Doctor" in notice.body
    for appt in (overlapping, adjacent, before):
        await db.refresh(appt)
        assert appt.status == "BOOKED"
    assert await exceptions_of(db, doctor.id) == [("UNAVAILABLE", day, day, time(11), time(11, 30), chain.north.id)]


async def test_block_without_centre_covers_every_centre_in_its_own_zone(client, db, chain):
    dubai = await make_centre(db, org=chain.org, name="Dubai Centre", timezone="Asia/Dubai")
    doctor = await make_clinician(db, org=chain.org, centre=chain.north, weekdays=(1,))
    await add_rule(db, clinician=doctor, centre=dubai, weekday=1, start=time(9), end=time(17))
    day = future_weekday(chain.north, 1)
    north_appt = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(9),
                                        patient=await make_patient(db, org=chain.org))
    # 11:00 in Dubai is 12:30 in India: not the same instant as the north appointment at 09:00 IST.
    dubai_appt = await make_appointment(db, clinician=doctor, centre=dubai, day=day, start=time(11),
                                        patient=await make_patient(db, org=chain.org))
    response = await client.post("/api/admin/slots/block", headers=chain.auth("MANAGER"), json={
        "clinicianId": doctor.id, "date": day.isoformat(), "startTime": "11:00", "endTime": "11:30"})
    assert response.status_code == 201, response.text
    assert [a["id"] for a in response.json()["data"]["affectedAppointments"]] == [dubai_appt.id]
    assert response.json()["data"]["affectedAppointments"][0]["startTime"] == "11:00"
    day_block = await client.post("/api/admin/slots/block-day", headers=chain.auth("MANAGER"), json={
        "clinicianId": doctor.id, "date": day.isoformat(), "reason": "Leave"})
    assert {a["id"] for a in day_block.json()["data"]["affectedAppointments"]} == {north_appt.id, dubai_appt.id}


async def test_block_day_over_a_range_is_one_whole_day_row(client, db, chain, doctor, patient):
    first = future_weekday(chain.north, 1)
    last = first + timedelta(days=2)
    appt = await make_appointment(db, clinician=doctor, centre=chain.north, patient=patient,
                                  day=first + timedelta(days=2), start=time(23, 30))
    await make_appointment(db, clinician=doctor, centre=chain.north, day=last + timedelta(days=1), start=time(0),
                           patient=await make_patient(db, org=chain.org))
    response = await client.post("/api/admin/slots/block-day", headers=chain.auth("ADMIN"), json={
        "clinicianId": doctor.id, "startDate": first.isoformat(), "endDate": last.isoformat(), "reason": "Conference"})
    assert response.status_code == 201, response.text
    assert [a["id"] for a in response.json()["data"]["affectedAppointments"]] == [appt.id]
    assert await exceptions_of(db, doctor.id) == [("UNAVAILABLE", first, last, None, None, None)]


async def test_timed_exception_over_several_days_is_one_row_per_day(client, db, chain, doctor):
    first = future_weekday(chain.north, 1)
    response = await client.post(f"/api/clinicians/{doctor.id}/slot-exceptions", headers=chain.auth("ADMIN"), json={
        "type": "UNAVAILABLE", "startDate": first.isoformat(), "endDate": (first + timedelta(days=2)).isoformat(),
        "startTime": "13:00", "endTime": "14:00", "reason": "Lunch rounds"})
    assert response.status_code == 201, response.text
    assert await exceptions_of(db, doctor.id) == [
        ("UNAVAILABLE", first + timedelta(days=n), first + timedelta(days=n), time(13), time(14), None)
        for n in range(3)]
    assert len(response.json()["data"]["blocks"]) == 3


async def test_extra_hours_need_times_and_default_to_the_primary_centre(client, db, chain, doctor):
    day = future_weekday(chain.north, 6)
    missing = await client.post(f"/api/clinicians/{doctor.id}/slot-exceptions", headers=chain.auth("ADMIN"),
                                json={"type": "EXTRA", "date": day.isoformat()})
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "startTime"
    response = await client.post(f"/api/clinicians/{doctor.id}/slot-exceptions", headers=chain.auth("ADMIN"), json={
        "type": "EXTRA", "date": day.isoformat(), "startTime": "10:00", "endTime": "12:00", "mode": "ONLINE",
        "slotDurationMinutes": 20})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["affectedAppointments"] == []
    row = (await db.execute(select(AvailabilityException).where(
        AvailabilityException.clinician_id == doctor.id))).scalar_one()
    assert (row.kind, row.centre_id, row.mode, row.slot_minutes) == ("EXTRA", chain.north.id, "ONLINE", 20)
    listed = await client.get(f"/api/clinicians/{doctor.id}/slot-exceptions", headers=chain.auth("MANAGER"))
    assert [e["id"] for e in listed.json()["data"]] == [row.id]
    deleted = await client.delete(f"/api/clinicians/{doctor.id}/slot-exceptions/{row.id}",
                                  headers=chain.auth("CENTRE_MANAGER"))
    assert deleted.status_code == 200
    assert await exceptions_of(db, doctor.id) == []


async def test_delete_exception_by_date_or_query_id(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    first = await make_exception(db, clinician=doctor, day=day, start=time(9), end=time(10))
    await make_exception(db, clinician=doctor, day=day + timedelta(days=1))
    response = await client.delete(f"/api/clinicians/{doctor.id}/slot-exceptions?exceptionId={first.id}",
                                   headers=chain.auth("ADMIN"))
    assert response.status_code == 200
    response = await client.request("DELETE", f"/api/clinicians/{doctor.id}/slot-exceptions",
                                    json={"date": (day + timedelta(days=1)).isoformat()}, headers=chain.auth("ADMIN"))
    assert response.status_code == 200, response.text
    assert await exceptions_of(db, doctor.id) == []
    nothing = await client.delete(f"/api/clinicians/{doctor.id}/slot-exceptions?date={day.isoformat()}",
                                  headers=chain.auth("ADMIN"))
    assert nothing.status_code == 404


async def test_unblock_and_blocked_list(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    made = await client.post("/api/admin/slots/block", headers=chain.auth("ADMIN"), json={
        "clinicianId": doctor.id, "date": day.isoformat(), "startTime": "09:00", "endTime": "09:30"})
    block_id = made.json()["data"]["block"]["id"]
    await make_exception(db, clinician=doctor, day=day, kind="EXTRA", start=time(18), end=time(19),
                         centre=chain.north)
    blocked = await client.get(f"/api/admin/slots/blocked?clinicianId={doctor.id}&from={day}&to={day}",
                               headers=chain.auth("ADMIN"))
    assert [b["id"] for b in blocked.json()["data"]] == [block_id]
    outside = await client.get(f"/api/admin/slots/blocked?clinicianId={doctor.id}&from={day + timedelta(days=1)}",
                               headers=chain.auth("ADMIN"))
    assert outside.json()["data"] == []
    assert (await client.post(f"/api/admin/slots/unblock/{block_id}", headers=chain.auth("ADMIN"))).status_code == 200
    assert (await client.post(f"/api/admin/slots/unblock/{block_id}", headers=chain.auth("ADMIN"))).status_code == 404
    assert [e[0] for e in await exceptions_of(db, doctor.id)] == ["EXTRA"]


async def test_invalid_block_names_the_field_and_stores_nothing(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    for body, field in (({"date": day.isoformat(), "startTime": "11:00", "endTime": "10:00"}, "endTime"),
                        ({"date": day.isoformat(), "startTime": "11:00"}, "endTime"),
                        ({"date": "15/01/2025", "startTime": "10:00", "endTime": "11:00"}, "date"),
                        ({"startTime": "10:00", "endTime": "11:00"}, "date"),
                        ({"date": day.isoformat(), "startTime": "10", "endTime": "11:00"}, "startTime")):
        response = await client.post("/api/admin/slots/block", headers=chain.auth("ADMIN"),
                                     json={"clinicianId": doctor.id, **body})
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"][0]["field"] == field, body
    backwards = await client.post("/api/admin/slots/block-day", headers=chain.auth("ADMIN"), json={
        "clinicianId": doctor.id, "startDate": day.isoformat(), "endDate": (day - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422 and backwards.json()["error"]["details"][0]["field"] == "endDate"
    assert await exceptions_of(db, doctor.id) == []


async def test_roles_and_scope(client, db, chain, doctor):
    day = future_weekday(chain.north, 1).isoformat()
    body = {"clinicianId": doctor.id, "date": day, "startTime": "09:00", "endTime": "09:30"}
    for role in ("FRONT_DESK", "CARE_COORDINATOR"):
        assert (await client.post("/api/admin/slots/block", json=body, headers=chain.auth(role))).status_code == 403
    doctor_user = await db.get(User, doctor.user_id)
    assert (await client.post("/api/admin/slots/block", json=body, headers=bearer(doctor_user))).status_code == 403
    assert (await client.post("/api/admin/slots/block", json=body)).status_code == 401
    south_doctor = await make_clinician(db, org=chain.org, centre=chain.south)
    refused = await client.post("/api/admin/slots/block", headers=chain.auth("CENTRE_MANAGER"),
                                json={**body, "clinicianId": south_doctor.id})
    assert refused.status_code == 404
    listed = await client.get(f"/api/clinicians/{south_doctor.id}/slot-exceptions",
                              headers=chain.auth("CENTRE_MANAGER"))
    assert listed.status_code == 404
    mine = await client.post("/api/admin/slots/block", headers=chain.auth("CENTRE_MANAGER"), json=body)
    assert mine.status_code == 201


async def test_centre_manager_must_name_a_centre_when_the_clinician_works_elsewhere(client, db, chain, doctor):
    await add_rule(db, clinician=doctor, centre=chain.south, weekday=4)
    day = future_weekday(chain.north, 1).isoformat()
    body = {"clinicianId": doctor.id, "date": day}
    response = await client.post("/api/admin/slots/block-day", headers=chain.auth("CENTRE_MANAGER"), json=body)
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "centreId"
    south = await client.post("/api/admin/slots/block-day", headers=chain.auth("CENTRE_MANAGER"),
                              json={**body, "centreId": chain.south.id})
    assert south.status_code == 404
    north = await client.post("/api/admin/slots/block-day", headers=chain.auth("CENTRE_MANAGER"),
                              json={**body, "centreId": chain.north.id})
    assert north.status_code == 201


async def test_blocks_bump_the_clinician_updated_at(client, db, chain, doctor):
    before = (await db.execute(select(Clinician.updated_at).where(Clinician.id == doctor.id))).scalar_one()
    day = future_weekday(chain.north, 1).isoformat()
    await client.post("/api/admin/slots/block-day", headers=chain.auth("ADMIN"),
                      json={"clinicianId": doctor.id, "date": day})
    after = (await db.execute(select(Clinician.updated_at).where(Clinician.id == doctor.id))).scalar_one()
    assert after > before


async def test_slot_grid_names_the_block_of_each_blocked_slot_and_unblock_takes_it(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    made = await client.post("/api/admin/slots/block", headers=chain.auth("ADMIN"), json={
        "clinician_id": doctor.id, "centre_id": chain.north.id, "date": day.isoformat(), "start_time": "10:00",
        "end_time": "11:00", "reason": "Audit"})
    assert made.status_code == 201, made.text
    block_id = made.json()["data"]["block"]["id"]
    grid_url = f"/api/users/clinicians/{doctor.id}/slots?date={day.isoformat()}&centreId={chain.north.id}"
    rows = (await client.get(grid_url, headers=chain.auth("ADMIN"))).json()["data"]
    blocked = [r for r in rows if r["status"] == "blocked"]
    assert blocked and {r["startTime"] for r in blocked} <= {"10:00", "10:15", "10:30", "10:45"}
    assert {r["blockedSlotId"] for r in blocked} == {block_id}
    assert all("blockedSlotId" not in r for r in rows if r["status"] != "blocked")
    unblocked = await client.post(f"/api/admin/slots/unblock/{blocked[0]['blockedSlotId']}",
                                  headers=chain.auth("ADMIN"))
    assert unblocked.status_code == 200, unblocked.text
    rows = (await client.get(grid_url, headers=chain.auth("ADMIN"))).json()["data"]
    assert rows and all(r["status"] != "blocked" for r in rows)


async def test_block_day_reply_has_the_panels_count_and_affected_patients(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    first, second = await make_patient(db, org=chain.org), await make_patient(db, org=chain.org)
    a1 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(9), patient=first)
    a2 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(10), patient=first)
    a3 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(11), patient=second)
    response = await client.post("/api/admin/slots/block-day", headers=chain.auth("ADMIN"), json={
        "clinician_id": doctor.id, "centre_id": chain.north.id, "date": day.isoformat(), "reason": "Leave"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["blocked_count"] == 1 and len(data["blocks"]) == 1 and data["affectedCount"] == 3
    patients = data["affected_patients"]
    assert len(patients) == 2
    assert [p["id"] for p in patients] == [first.id, second.id]
    assert all(p["name"] and p["phone"] for p in patients)
    assert patients[0]["appointment_ids"] == [a1.id, a2.id] and patients[1]["appointment_ids"] == [a3.id]


async def count(db, model) -> int:
    return len((await db.execute(select(model.id))).all())


async def test_block_multiple_creates_every_block_and_notifies_each_affected_patient_once(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    other = await make_clinician(db, org=chain.org, centre=chain.south, full_name="Dr. South Doctor")
    first, second = await make_patient(db, org=chain.org), await make_patient(db, org=chain.org)
    a1 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(9), patient=first)
    a2 = await make_appointment(db, clinician=other, centre=chain.south, day=day, start=time(10), patient=second)
    untouched = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(12),
                                       patient=await make_patient(db, org=chain.org))
    response = await client.post("/api/admin/slots/block-multiple", headers=chain.auth("ADMIN"), json={
        "reason": "Audit", "slots": [
            {"clinician_id": doctor.id, "centre_id": chain.north.id, "date": day.isoformat(),
             "start_time": "09:00", "end_time": "09:30"},
            # overlaps the first slot: the 09:00 appointment is listed and notified once
            {"clinicianId": doctor.id, "centreId": chain.north.id, "date": day.isoformat(),
             "startTime": "09:15", "endTime": "09:45"},
            {"clinicianId": other.id, "centreId": chain.south.id, "date": day.isoformat(),
             "startTime": "10:00", "endTime": "10:30"}]})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["blocked_count"] == 3 and len(data["blocks"]) == 3
    assert [a["id"] for a in data["affectedAppointments"]] == [a1.id, a2.id]
    assert [p["id"] for p in data["affected_patients"]] == [first.id, second.id]
    assert data["affected_patients"][0]["appointment_ids"] == [a1.id] and data["notifiedCount"] == 2
    assert {b["reason"] for b in data["blocks"]} == {"Audit"}
    assert sorted((n.appointment_id, n.patient_id) for n in await notices(db)) == sorted(
        [(a1.id, first.id), (a2.id, second.id)])
    assert untouched.id not in {n.appointment_id for n in await notices(db)}
    assert await exceptions_of(db, doctor.id) == [
        ("UNAVAILABLE", day, day, time(9), time(9, 30), chain.north.id),
        ("UNAVAILABLE", day, day, time(9, 15), time(9, 45), chain.north.id)]
    assert await exceptions_of(db, other.id) == [("UNAVAILABLE", day, day, time(10), time(10, 30), chain.south.id)]


async def test_block_multiple_is_all_or_nothing_and_names_the_bad_slot(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(9),
                           patient=await make_patient(db, org=chain.org))
    good = {"clinicianId": doctor.id, "centreId": chain.north.id, "date": day.isoformat(), "startTime": "09:00",
            "endTime": "09:30"}
    for bad, field in (({**good, "startTime": "11:00", "endTime": "10:00"}, "slots[1].endTime"),
                       ({**good, "endTime": None}, "slots[1].endTime"),
                       ({**good, "date": "15/01/2025"}, "slots[1].date"),
                       ({k: v for k, v in good.items() if k != "clinicianId"}, "slots[1].clinicianId"),
                       ({**good, "centreId": 999999}, "slots[1].centreId")):
        response = await client.post("/api/admin/slots/block-multiple", headers=chain.auth("ADMIN"),
                                     json={"slots": [good, bad, good]})
        assert response.status_code in (404, 422), (bad, response.text)
        assert response.json()["error"]["details"][0]["field"] == field, (bad, response.text)
    too_many = await client.post("/api/admin/slots/block-multiple", headers=chain.auth("ADMIN"),
                                 json={"slots": [good] * 101})
    assert too_many.status_code == 422 and too_many.json()["error"]["details"][0]["field"] == "slots"
    empty = await client.post("/api/admin/slots/block-multiple", headers=chain.auth("ADMIN"), json={"slots": []})
    assert empty.status_code == 422
    assert await exceptions_of(db, doctor.id) == [] and await notices(db) == []


async def test_block_multiple_and_preview_refuse_another_organizations_clinician(client, db, chain, doctor):
    elsewhere = await make_org(db, slug="elsewhere")
    stranger = await make_clinician(db, org=elsewhere, centre=await make_centre(db, org=elsewhere))
    day = future_weekday(chain.north, 1).isoformat()
    slots = [{"clinicianId": doctor.id, "centreId": chain.north.id, "date": day, "startTime": "09:00",
              "endTime": "09:30"},
             {"clinicianId": stranger.id, "date": day, "startTime": "09:00", "endTime": "09:30"}]
    for path in ("block-multiple", "affected-patients"):
        response = await client.post(f"/api/admin/slots/{path}", headers=chain.auth("ADMIN"), json={"slots": slots})
        assert response.status_code == 404, response.text
    foreign_centre = await client.post("/api/admin/slots/block-multiple", headers=chain.auth("ADMIN"), json={
        "slots": [{**slots[0], "centreId": stranger.primary_centre_id}]})
    assert foreign_centre.status_code == 404
    assert await exceptions_of(db, doctor.id) == [] and await exceptions_of(db, stranger.id) == []
    for role in ("FRONT_DESK", "CARE_COORDINATOR"):
        refused = await client.post("/api/admin/slots/block-multiple", headers=chain.auth(role),
                                    json={"slots": slots[:1]})
        assert refused.status_code == 403


async def test_affected_patients_previews_without_writing(client, db, chain, doctor):
    day = future_weekday(chain.north, 1)
    first, second = await make_patient(db, org=chain.org), await make_patient(db, org=chain.org)
    a1 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(9), patient=first)
    a2 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(10), patient=first)
    a3 = await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(11), patient=second)
    await make_appointment(db, clinician=doctor, centre=chain.north, day=day, start=time(12),
                           patient=await make_patient(db, org=chain.org))
    before = (await count(db, AvailabilityException), await count(db, OutboxMessage))
    response = await client.post("/api/admin/slots/affected-patients", headers=chain.auth("ADMIN"), json={
        "slots": [{"clinician_id": doctor.id, "centre_id": chain.north.id, "date": day.isoformat(),
                   "start_time": "09:00", "end_time": "10:30"},
                  {"clinicianId": doctor.id, "date": day.isoformat(), "startTime": "10:15", "endTime": "11:30"}]})
    assert response.status_code == 200, response.text
    patients = response.json()["data"]
    assert [p["id"] for p in patients] == [first.id, second.id]
    assert patients[0]["appointment_ids"] == [a1.id, a2.id] and patients[1]["appointment_ids"] == [a3.id]
    assert all(p["name"] and p["phone"] for p in patients)
    assert (await count(db, AvailabilityException), await count(db, OutboxMessage)) == before
    bad = await client.post("/api/admin/slots/affected-patients", headers=chain.auth("ADMIN"), json={
        "slots": [{"clinicianId": doctor.id, "date": day.isoformat(), "startTime": "11:00", "endTime": "10:00"}]})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "slots[0].endTime"
