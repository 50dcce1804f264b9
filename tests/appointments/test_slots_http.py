"""The slot reads over HTTP: the patient website's public lists, staff availability and the staff slot grid."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinicops.config import get_settings
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff
from tests.builders.slots import add_appointment, add_exception, next_date, weekday_of

IST = ZoneInfo("Asia/Kolkata")
MONDAY = 1


@pytest.fixture
async def chain(db):
    org = await make_org(db, slug=get_settings().default_organization)
    centre = await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=(MONDAY,))
    await add_rule(db, clinician=clinician, centre=centre, weekday=MONDAY, start=time(18), end=time(19),
                   mode="ONLINE")
    patient = await make_patient(db, org=org)
    return org, centre, clinician, patient


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=IST)


async def test_available_slots_in_centre_wall_clock(client, chain, db):
    org, centre, clinician, patient = chain
    monday = next_date(MONDAY)
    await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 10))
    await add_exception(db, clinician=clinician, on=monday, start=time(15, 50), end=time(16, 10))
    response = await client.get("/api/booking/available-slots",
                                params={"clinicianId": clinician.id, "centreId": centre.id, "date": str(monday)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["data"]["date"] == str(monday)
    slots = body["data"]["slots"]
    starts = [s["startTime"] for s in slots]
    assert starts[0] == "09:00" and slots[0] == {"startTime": "09:00", "endTime": "09:30", "available": True,
                                                  "mode": "IN_PERSON"}
    assert "15:30" not in starts and "16:00" not in starts  # blocked by overlap: not offered at all
    booked = next(s for s in slots if s["startTime"] == "10:00")
    assert booked["available"] is False
    assert [s["startTime"] for s in slots if s["mode"] == "ONLINE"] == ["18:00", "18:30"]
    online = await client.get("/api/booking/available-slots", params={
        "clinician_id": clinician.id, "centre_id": centre.id, "date": str(monday), "mode": "ONLINE"})
    assert [s["startTime"] for s in online.json()["data"]["slots"]] == ["18:00", "18:30"]


async def test_public_reads_ignore_a_stale_token(client, chain):
    _, centre, clinician, _ = chain
    params = {"clinicianId": clinician.id, "centreId": centre.id, "date": str(next_date(MONDAY))}
    for header in ("Bearer not-a-token", "Bearer null", "Basic abc"):
        response = await client.get("/api/booking/available-slots", params=params, headers={"Authorization": header})
        assert response.status_code == 200
        assert len(response.json()["data"]["slots"]) == 18


@pytest.mark.parametrize("params, field", [
    ({"centreId": "1", "date": "2030-01-07"}, "clinicianId"),
    ({"clinicianId": "abc", "centreId": "1", "date": "2030-01-07"}, "clinicianId"),
    ({"clinicianId": "1", "centreId": "-3", "date": "2030-01-07"}, "centreId"),
    ({"clinicianId": "1", "centreId": "1", "date": "07-01-2030"}, "date"),
    ({"clinicianId": "1", "centreId": "1", "date": "2030-02-30"}, "date"),
    ({"clinicianId": "1", "centreId": "1"}, "date"),
    ({"clinicianId": "1", "centreId": "1", "date": "2030-01-07", "mode": "TELEPATHY"}, "mode"),
])
async def test_malformed_queries_are_422_naming_the_field(client, params, field):
    response = await client.get("/api/booking/available-slots", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["field"] == field


async def test_unknown_or_foreign_ids_are_404_and_no_rules_is_empty(client, chain, db):
    org, centre, clinician, _ = chain
    monday = str(next_date(MONDAY))
    stranger = await make_org(db)
    foreign_centre = await make_centre(db, org=stranger)
    foreign = await make_clinician(db, org=stranger, centre=foreign_centre, weekdays=(MONDAY,))
    for clinician_id, centre_id in ((foreign.id, foreign_centre.id), (foreign.id, centre.id),
                                    (clinician.id, foreign_centre.id), (clinician.id + 10_000, centre.id)):
        response = await client.get("/api/booking/available-slots", params={
            "clinicianId": clinician_id, "centreId": centre_id, "date": monday})
        assert response.status_code == 404, (clinician_id, centre_id)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    bare = await make_centre(db, org=org)
    response = await client.get("/api/booking/available-slots", params={
        "clinicianId": clinician.id, "centreId": bare.id, "date": monday})
    assert response.status_code == 200 and response.json()["data"]["slots"] == []


async def test_dates_with_slots_lists_only_dates_with_a_free_slot(client, chain, db):
    _, centre, clinician, _ = chain
    start = date.today()
    mondays = [start + timedelta(days=d) for d in range(1, 31) if weekday_of(start + timedelta(days=d)) == MONDAY]
    await add_exception(db, clinician=clinician, on=mondays[1])  # a whole Monday away
    response = await client.get("/api/booking/dates-with-slots", params={
        "clinicianId": clinician.id, "centreId": centre.id, "startDate": str(start + timedelta(days=1)),
        "endDate": str(start + timedelta(days=30))})
    assert response.status_code == 200, response.text
    rows = response.json()["data"]
    assert [r["date"] for r in rows] == [str(d) for d in mondays if d != mondays[1]]
    assert rows[0] == {"date": str(mondays[0]), "slotCount": 18, "firstSlot": "09:00"}
    online = await client.get("/api/booking/dates-with-slots", params={
        "clinicianId": clinician.id, "centreId": centre.id, "startDate": str(mondays[0]),
        "endDate": str(mondays[0]), "mode": "ONLINE"})
    assert online.json()["data"] == [{"date": str(mondays[0]), "slotCount": 2, "firstSlot": "18:00"}]


async def test_dates_with_slots_bounds(client, chain):
    _, centre, clinician, _ = chain
    today = date.today()
    base = {"clinicianId": clinician.id, "centreId": centre.id}
    website = await client.get("/api/booking/dates-with-slots", params={
        **base, "startDate": str(today), "endDate": str(today + timedelta(days=60))})
    assert website.status_code == 200
    too_long = await client.get("/api/booking/dates-with-slots", params={
        **base, "startDate": str(today), "endDate": str(today + timedelta(days=90))})
    assert too_long.status_code == 422 and too_long.json()["error"]["details"][0]["field"] == "endDate"
    backwards = await client.get("/api/booking/dates-with-slots", params={
        **base, "startDate": str(today), "endDate": str(today - timedelta(days=1))})
    assert backwards.status_code == 422


async def test_staff_availability_needs_staff(client, chain, db):
    org, centre, clinician, patient = chain
    params = {"clinicianId": clinician.id, "date": str(next_date(MONDAY))}
    assert (await client.get("/api/appointments/availability", params=params)).status_code == 401
    patient_user = await make_patient(db, org=org)
    from clinicops.auth.models import User
    user = await db.get(User, patient_user.user_id)
    assert (await client.get("/api/appointments/availability", params=params,
                             headers=bearer(user))).status_code == 403
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre])
    response = await client.get("/api/appointments/availability", params=params, headers=bearer(desk))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["clinicianId"] == clinician.id and len(data["slots"]) == 18
    first = data["slots"][0]
    assert first["startTime"] == "09:00" and first["centreId"] == centre.id and first["status"] == "available"
    assert datetime.fromisoformat(first["startsAt"]) == at(next_date(MONDAY), 9)


async def test_slot_grid_statuses_and_scope(client, chain, db):
    org, centre, clinician, patient = chain
    monday = next_date(MONDAY)
    booked = await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 10),
                                   minutes=50)
    await add_exception(db, clinician=clinician, on=monday, start=time(12), end=time(13), centre=centre)
    admin = await make_staff(db, org=org, role="ADMIN")
    for path in (f"/api/clinicians/{clinician.id}/slots", f"/api/clinicians/clinicians/{clinician.id}/slots"):
        response = await client.get(path, params={"date": str(monday)}, headers=bearer(admin))
        assert response.status_code == 200, response.text
        grid = {(r["startTime"], r["mode"]): r for r in response.json()["data"]}
        assert len(grid) == 18
        assert grid[("10:00", "IN_PERSON")]["status"] == "booked"
        assert grid[("10:30", "IN_PERSON")]["appointmentId"] == booked.id
        assert grid[("12:30", "IN_PERSON")]["status"] == "blocked"
        assert "appointmentId" not in grid[("11:00", "IN_PERSON")]
        free = grid[("11:00", "IN_PERSON")]
        assert free["status"] == "available" and free["available"] is True and free["date"] == str(monday)
    elsewhere = await make_centre(db, org=org)
    outsider = await make_staff(db, org=org, role="CENTRE_MANAGER", centres=[elsewhere])
    refused = await client.get(f"/api/clinicians/{clinician.id}/slots",
                               params={"date": str(monday), "centreId": centre.id}, headers=bearer(outsider))
    assert refused.status_code == 404
    colleague = await make_clinician(db, org=org, centre=centre, full_name="Dr. Other")
    from clinicops.auth.models import User
    colleague_user = await db.get(User, colleague.user_id)
    assert (await client.get(f"/api/clinicians/{clinician.id}/slots", params={"date": str(monday)},
                             headers=bearer(colleague_user))).status_code == 404
    own_user = await db.get(User, clinician.user_id)
    own = await client.get(f"/api/clinicians/{clinician.id}/slots", params={"date": str(monday)},
                           headers=bearer(own_user))
    assert own.status_code == 200 and len(own.json()["data"]) == 18


async def test_grid_includes_past_slots_of_the_day(client, chain, db):
    org, centre, clinician, _ = chain
    yesterday = date.today() - timedelta(days=1)
    await add_rule(db, clinician=clinician, centre=centre, weekday=weekday_of(yesterday), start=time(6),
                   end=time(8))
    admin = await make_staff(db, org=org, role="ADMIN")
    grid = await client.get(f"/api/clinicians/{clinician.id}/slots", params={"date": str(yesterday)},
                            headers=bearer(admin))
    rows = [r for r in grid.json()["data"] if r["startTime"] in ("06:00", "06:30", "07:00", "07:30")]
    assert len(rows) == 4 and all(r["available"] is False for r in rows)
    public = await client.get("/api/booking/available-slots", params={
        "clinicianId": clinician.id, "centreId": centre.id, "date": str(yesterday)})
    assert [s for s in public.json()["data"]["slots"] if s["startTime"] < "08:00"] == []


async def test_wall_clock_times_across_a_dst_change(client, chain, db):
    org = chain[0]
    centre = await make_centre(db, org=org, timezone="America/New_York")
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=(0,), start=time(1), end=time(4))
    year = date.today().year + 1
    change = date(year, 3, 8) + timedelta(days=(6 - date(year, 3, 8).weekday()) % 7)  # second Sunday of March
    response = await client.get("/api/booking/available-slots", params={
        "clinicianId": clinician.id, "centreId": centre.id, "date": str(change)})
    slots = response.json()["data"]["slots"]
    assert [(s["startTime"], s["endTime"]) for s in slots] == [
        ("01:00", "01:30"), ("01:30", "03:00"), ("03:00", "03:30"), ("03:30", "04:00")]
    ordinary = await client.get("/api/booking/available-slots", params={
        "clinicianId": clinician.id, "centreId": centre.id, "date": str(change + timedelta(days=7))})
    assert [s["startTime"] for s in ordinary.json()["data"]["slots"]][:3] == ["01:00", "01:30", "02:00"]
