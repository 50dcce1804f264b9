"""The admin panel's centre, clinician, availability and staff calls (spec/hospital-admin-panel.md), one test per
call, each asserting the fields the panel reads; then the soft-delete round trips, role filtering, totals, other
organizations' ids and bad input.

The scene: the public organization with two centres (Bangalore, Kochi), two clinicians and an admin; another
organization with its own centre, clinician and admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import func, select

from clinicops.auth.models import User, UserRole
from clinicops.auth.passwords import verify_password
from clinicops.clinicians.models import AvailabilityException, AvailabilityRule, Clinician
from clinicops.config import get_settings
from clinicops.organizations.models import Centre, Organization
from tests.builders.auth import auth, staff_sign_in
from tests.builders.availability import future_weekday
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_staff, next_phone


@dataclass
class Scene:
    org: Organization
    north: Centre  # Bangalore, "Indiranagar"
    south: Centre  # Kochi, "Mibo Kochi"
    dr_north: Clinician
    dr_south: Clinician
    admin: User
    other_org: Organization
    other_centre: Centre
    other_dr: Clinician
    other_admin: User

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.admin)

    @property
    def foreign(self) -> dict[str, str]:
        return bearer(self.other_admin)


async def _scene(db) -> Scene:
    org = await make_org(db, slug=get_settings().default_organization, name="Mibo")
    north = await make_centre(db, org=org, name="Indiranagar", city="bangalore", address_line2="Near Metro")
    south = await make_centre(db, org=org, name="Mibo Kochi", city="kochi")
    dr_north = await make_clinician(db, org=org, centre=north, full_name="Dr. Anil North", weekdays=(1, 3),
                                    end=time(12))
    dr_south = await make_clinician(db, org=org, centre=south, full_name="Dr. Bina South", weekdays=(2,),
                                    consultation_modes=["ONLINE"])
    dr_south.specializations = ["Clinical Psychology"]
    admin = await make_staff(db, org=org, role="ADMIN", full_name="Asha Admin")
    other_org = await make_org(db, name="Elsewhere")
    other_centre = await make_centre(db, org=other_org, name="Elsewhere Centre", city="mumbai")
    other_dr = await make_clinician(db, org=other_org, centre=other_centre, full_name="Dr. Zed Else", weekdays=(1,))
    other_admin = await make_staff(db, org=other_org, role="ADMIN")
    await db.flush()
    return Scene(org, north, south, dr_north, dr_south, admin, other_org, other_centre, other_dr, other_admin)


def _ten() -> str:
    return next_phone()[3:]  # the panel sends 10 digits


def _field(response) -> str:
    return response.json()["error"]["details"][0]["field"]


# --- centres -------------------------------------------------------------------------------------------------------

async def test_centres_list_rows_carry_address_and_phone(client, db):
    s = await _scene(db)
    response = await client.get("/api/centres", headers=s.auth)
    assert response.status_code == 200
    rows = {c["id"]: c for c in response.json()["data"]}
    assert set(rows) == {s.north.id, s.south.id}
    north = rows[s.north.id]
    assert north["address"] == "1 MG Road, Near Metro" and north["phone"] == "9800000000"
    assert north["name"] == "Indiranagar" and north["city"] == "bangalore" and north["isActive"] is True
    assert north["pincode"] == "560001" and rows[s.south.id]["address"] == "1 MG Road"
    assert response.headers["x-total-count"] == "2"


async def test_centre_detail_carries_address_and_phone(client, db):
    s = await _scene(db)
    data = (await client.get(f"/api/centres/{s.north.id}", headers=s.auth)).json()["data"]
    assert data["address"].split(",")[0] == "1 MG Road" and data["address"].split(",")[1].strip() == "Near Metro"
    assert data["phone"] == data["contactPhone"] == "9800000000"


async def test_centre_create_with_the_panels_body(client, db):
    s = await _scene(db)
    response = await client.post("/api/centres", headers=s.auth, json={
        "name": "Bandra", "city": "mumbai", "addressLine1": "12 Hill Road", "addressLine2": "",
        "pincode": "400050", "contactPhone": "9876543210"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["address"] == "12 Hill Road" and data["addressLine2"] is None and data["phone"] == "9876543210"


async def test_centre_edit_round_trips_what_the_panel_read(client, db):
    s = await _scene(db)
    s.north.address_line1 = "12, MG Road"  # a line holding a comma: the panel's split cannot rebuild it
    await db.flush()
    read = (await client.get(f"/api/centres/{s.north.id}", headers=s.auth)).json()["data"]
    parts = read["address"].split(",")
    form = {"name": read["name"], "city": read["city"], "addressLine1": parts[0],
            "addressLine2": parts[1] if len(parts) > 1 else "", "pincode": read["pincode"],
            "contactPhone": read["phone"]}
    response = await client.put(f"/api/centres/{s.north.id}", headers=s.auth, json=form)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["address"] == read["address"] == "12, MG Road, Near Metro"
    edited = await client.put(f"/api/centres/{s.north.id}", headers=s.auth,
                              json={**form, "addressLine1": "14 MG Road", "addressLine2": "", "contactPhone":
                                    "9811111111"})
    assert edited.json()["data"]["address"] == "14 MG Road" and edited.json()["data"]["phone"] == "9811111111"


async def test_centre_delete_hides_it(client, db):
    s = await _scene(db)
    response = await client.delete(f"/api/centres/{s.south.id}", headers=s.auth)
    assert response.status_code == 200
    assert (await client.get(f"/api/centres/{s.south.id}", headers=s.auth)).status_code == 404
    listed = (await client.get("/api/centres", headers=s.auth)).json()["data"]
    assert [c["id"] for c in listed] == [s.north.id]


async def test_centre_toggle_active(client, db):
    s = await _scene(db)
    off = await client.patch(f"/api/centres/{s.south.id}/toggle-active", headers=s.auth, json={"isActive": False})
    assert off.status_code == 200 and off.json()["data"]["isActive"] is False
    assert off.json()["data"]["address"] == "1 MG Road"
    public = (await client.get("/api/centres")).json()["data"]
    assert [c["id"] for c in public] == [s.north.id]


# --- clinicians ----------------------------------------------------------------------------------------------------

async def test_clinician_list_with_the_panels_filters(client, db):
    s = await _scene(db)
    s.dr_south.is_active = False
    await db.flush()
    every = await client.get("/api/users/clinicians", headers=s.auth)
    assert every.status_code == 200
    rows = {c["id"]: c for c in every.json()["data"]}
    assert set(rows) == {s.dr_north.id, s.dr_south.id}  # inactive ones too: the panel re-activates from here
    north = rows[s.dr_north.id]
    for key in ("fullName", "specialization", "yearsOfExperience", "primaryCentreId", "primaryCentreName",
                "consultationFee", "consultationModes", "isActive"):
        assert key in north, key
    assert north["primaryCentreId"] == s.north.id and north["consultationFee"] == 1500
    assert every.headers["x-total-count"] == "2"

    async def ids(query: str) -> list[int]:
        found = await client.get(f"/api/users/clinicians?{query}", headers=s.auth)
        assert found.status_code == 200, found.text
        return sorted(c["id"] for c in found.json()["data"])

    assert await ids(f"centreId={s.north.id}") == [s.dr_north.id]
    assert await ids("specialization=psychology") == [s.dr_south.id]
    assert await ids("isActive=true") == [s.dr_north.id]
    assert await ids("isActive=false") == [s.dr_south.id]
    assert await ids(f"centreId={s.other_centre.id}") == []


async def test_clinician_detail_has_what_the_edit_form_reads(client, db):
    s = await _scene(db)
    response = await client.get(f"/api/users/clinicians/{s.dr_north.id}", headers=s.auth)
    assert response.status_code == 200
    data = response.json()["data"]
    user = await db.get(User, s.dr_north.user_id)
    assert data["phone"] == user.phone[3:] and data["userId"] == user.id
    assert data["primaryCentreId"] == s.north.id and data["specialization"] == ["Psychiatry"]
    for key in ("email", "registrationNumber", "yearsOfExperience", "consultationFee", "bio", "consultationModes",
                "defaultDurationMinutes", "profilePictureUrl", "qualification", "expertise", "languages", "username"):
        assert key in data, key
    assert [(r["day_of_week"], r["start_time"]) for r in data["availabilityRules"]] == [(1, "09:00"), (3, "09:00")]


async def test_clinician_create_with_the_panels_snake_case_body(client, db):
    s = await _scene(db)
    phone = _ten()
    body = {"full_name": "Dr. Kavya Menon", "phone": phone, "username": "dr.kavya", "password": "Str0ngPass!",
            "role_ids": [4], "centre_ids": [s.south.id], "designation": "Psychiatrist",
            "primary_centre_id": s.south.id, "specialization": ["Psychiatry"], "years_of_experience": 9,
            "consultation_fee": 1200, "consultation_modes": ["IN_PERSON", "ONLINE"],
            "default_consultation_duration_minutes": 45, "profile_picture_url": "https://cdn.example.com/k.jpg",
            "qualification": ["MBBS", "MD"], "expertise": ["Anxiety"], "languages": ["English", "Malayalam"],
            "availability_slots": [  # two Mondays at 10:00 picked in the calendar: one weekly session
                {"id": "2026-12-07-10:00", "dayOfWeek": 1, "startTime": "10:00", "endTime": "10:45",
                 "consultationMode": "IN_PERSON"},
                {"id": "2026-12-14-10:00", "dayOfWeek": 1, "startTime": "10:00", "endTime": "10:45",
                 "consultationMode": "IN_PERSON"}]}
    response = await client.post("/api/users/clinicians", headers=s.auth, json=body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["fullName"] == "Dr. Kavya Menon" and data["phone"] == phone and data["username"] == "dr.kavya"
    assert data["defaultDurationMinutes"] == 45 and data["consultationFee"] == 1200
    assert [(r["centre_id"], r["day_of_week"], r["start_time"], r["end_time"], r["slot_duration_minutes"])
            for r in data["availabilityRules"]] == [(s.south.id, 1, "10:00", "10:45", 45)]
    roles = (await db.execute(select(UserRole.role, UserRole.centre_id)
                              .where(UserRole.user_id == data["userId"]))).all()
    assert [tuple(r) for r in roles] == [("CLINICIAN", s.south.id)]


async def test_clinician_update_with_the_panels_camel_case_body(client, db):
    s = await _scene(db)
    user = await db.get(User, s.dr_north.user_id)
    user.email = "old@example.com"
    s.dr_north.profile_picture_url = "https://cdn.example.com/old.jpg"
    await db.flush()
    response = await client.put(f"/api/users/clinicians/{s.dr_north.id}", headers=s.auth, json={
        "phone": user.phone[3:], "email": "", "primaryCentreId": s.north.id, "specialization": ["Psychiatry", "Sleep"],
        "registrationNumber": "KMC-9", "yearsOfExperience": 12, "consultationFee": 1800, "bio": "",
        "consultationModes": ["IN_PERSON"], "defaultDurationMinutes": 40, "profilePictureUrl": "",
        "qualification": ["MBBS"], "expertise": [], "languages": ["English"]})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["email"] is None and data["profilePictureUrl"] is None and data["bio"] is None
    assert data["specialization"] == ["Psychiatry", "Sleep"] and data["consultationFee"] == 1800
    assert data["defaultDurationMinutes"] == 40 and data["registrationNumber"] == "KMC-9"


async def test_clinician_delete(client, db):
    s = await _scene(db)
    response = await client.delete(f"/api/users/clinicians/{s.dr_south.id}", headers=s.auth)
    assert response.status_code == 200
    assert (await client.get(f"/api/users/clinicians/{s.dr_south.id}")).status_code == 404
    listed = (await client.get("/api/users/clinicians", headers=s.auth)).json()["data"]
    assert [c["id"] for c in listed] == [s.dr_north.id]


async def test_clinician_toggle_active(client, db):
    s = await _scene(db)
    off = await client.patch(f"/api/clinicians/{s.dr_north.id}/toggle-active", headers=s.auth,
                             json={"isActive": False})
    assert off.status_code == 200 and off.json()["data"]["isActive"] is False
    public = (await client.get("/api/users/clinicians")).json()["data"]
    assert [c["id"] for c in public] == [s.dr_south.id]
    on = await client.patch(f"/api/clinicians/{s.dr_north.id}/toggle-active", headers=s.auth,
                            json={"isActive": True})
    assert on.json()["data"]["isActive"] is True


async def test_clinician_credentials(client, db):
    s = await _scene(db)
    user = await db.get(User, s.dr_north.user_id)
    user.username = "dr.north"
    await db.flush()
    signed_in = await staff_sign_in(client, "dr.north")
    response = await client.patch(f"/api/users/clinicians/{s.dr_north.id}/credentials", headers=s.auth,
                                  json={"username": "dr.anil", "password": "N3w-password!"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["username"] == "dr.anil"
    user = await db.get(User, s.dr_north.user_id)
    await db.refresh(user)
    assert user.username == "dr.anil" and verify_password("N3w-password!", user.password_hash)
    assert "password" not in response.text.lower()
    refreshed = await client.post("/api/auth/refresh", json={"refreshToken": signed_in["refreshToken"]})
    assert refreshed.status_code == 401  # a new password ends the sessions of the old one
    assert (await client.get("/api/auth/me", headers=auth(signed_in["accessToken"]))).status_code == 401
    empty = await client.patch(f"/api/users/clinicians/{s.dr_north.id}/credentials", headers=s.auth, json={})
    assert empty.status_code == 422 and _field(empty) == "username"
    short = await client.patch(f"/api/users/clinicians/{s.dr_north.id}/credentials", headers=s.auth,
                               json={"password": "short"})
    assert short.status_code == 422 and _field(short) == "password"
    foreign = await client.patch(f"/api/users/clinicians/{s.other_dr.id}/credentials", headers=s.auth,
                                 json={"username": "stolen"})
    assert foreign.status_code == 404


async def test_experts_page_city_filter_matches_the_primary_centre_name(client, db):
    """The website keeps a clinician when primaryCentreName mentions the city it filters by."""
    s = await _scene(db)
    rows = (await client.get("/api/users/clinicians")).json()["data"]
    words = {"bangalore": ("bangalore", "bengaluru"), "kochi": ("kochi",), "mumbai": ("mumbai",)}

    def in_city(city: str) -> list[int]:
        return [r["id"] for r in rows if any(w in (r["primaryCentreName"] or "").lower() for w in words[city])]

    assert in_city("bangalore") == [s.dr_north.id] and in_city("kochi") == [s.dr_south.id]
    by_id = {r["id"]: r for r in rows}
    assert by_id[s.dr_north.id]["primaryCentreName"] == "Indiranagar – Bangalore"
    assert by_id[s.dr_south.id]["primaryCentreName"] == "Mibo Kochi"  # already says its city
    assert by_id[s.dr_north.id]["primaryCentre"]["name"] == "Indiranagar"


# --- availability --------------------------------------------------------------------------------------------------

async def test_availability_read_without_a_token(client, db):
    s = await _scene(db)
    response = await client.get(f"/api/users/clinicians/{s.dr_north.id}/availability")
    assert response.status_code == 200
    rules = response.json()["data"]
    assert [(r["day_of_week"], r["start_time"], r["end_time"], r["mode"], r["consultation_mode"], r["centre_id"])
            for r in rules] == [(1, "09:00", "12:00", "IN_PERSON", "IN_PERSON", s.north.id),
                                (3, "09:00", "12:00", "IN_PERSON", "IN_PERSON", s.north.id)]
    assert all(isinstance(r["id"], int) and "phone" not in r for r in rules)
    monday = future_weekday(s.north, 1)
    on_monday = (await client.get(f"/api/users/clinicians/{s.dr_north.id}/availability",
                                  params={"centreId": s.north.id, "date": monday.isoformat()})).json()["data"]
    assert [r["day_of_week"] for r in on_monday] == [1]
    elsewhere = await client.get(f"/api/users/clinicians/{s.dr_north.id}/availability?centreId={s.south.id}")
    assert elsewhere.json()["data"] == []
    canonical = await client.get(f"/api/clinicians/{s.dr_north.id}/availability")
    assert canonical.json() == response.json()
    assert (await client.get(f"/api/users/clinicians/{s.other_dr.id}/availability")).status_code == 404


async def test_availability_replace_with_the_panels_merged_rules(client, db):
    s = await _scene(db)
    existing = (await client.get(f"/api/users/clinicians/{s.dr_north.id}/availability",
                                 headers=s.auth)).json()["data"]
    merged = [{"centreId": str(r["centre_id"]), "centre_id": str(r["centre_id"]), "dayOfWeek": r["day_of_week"],
               "startTime": r["start_time"], "endTime": r["end_time"],
               "slotDurationMinutes": r["slot_duration_minutes"], "mode": r["mode"],
               "consultationMode": r["consultation_mode"]} for r in existing]
    merged.append({"centreId": str(s.north.id), "centre_id": str(s.north.id), "dayOfWeek": 5, "startTime": "14:00",
                   "endTime": "15:00", "slotDurationMinutes": 30, "mode": "ONLINE", "consultationMode": "ONLINE"})
    response = await client.put(f"/api/users/clinicians/{s.dr_north.id}/availability", headers=s.auth,
                                json={"availability_rules": merged})
    assert response.status_code == 200, response.text
    assert [(r["day_of_week"], r["mode"]) for r in response.json()["data"]] == [
        (1, "IN_PERSON"), (3, "IN_PERSON"), (5, "ONLINE")]


async def test_availability_by_day(client, db):
    s = await _scene(db)
    await add_rule(db, clinician=s.dr_north, centre=s.north, weekday=1, start=time(15), end=time(17))
    await add_rule(db, clinician=s.dr_north, centre=s.south, weekday=6, start=time(10), end=time(11))
    response = await client.get(f"/api/users/clinicians/{s.dr_north.id}/availability/by-day",
                                params={"centreId": s.north.id}, headers=s.auth)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"1", "3"}
    assert [(r["start_time"], r["end_time"], r["mode"]) for r in data["1"]] == [
        ("09:00", "12:00", "IN_PERSON"), ("15:00", "17:00", "IN_PERSON")]
    everywhere = (await client.get(f"/api/users/clinicians/{s.dr_north.id}/availability/by-day",
                                   headers=s.auth)).json()["data"]
    assert set(everywhere) == {"1", "3", "6"}


async def test_availability_delete_by_day(client, db):
    s = await _scene(db)
    await add_rule(db, clinician=s.dr_north, centre=s.south, weekday=1, start=time(15), end=time(17))
    response = await client.post(f"/api/users/clinicians/{s.dr_north.id}/availability/delete-by-day",
                                 headers=s.auth, json={"dayOfWeek": 1, "centreId": s.north.id})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["deletedCount"] == 1
    left = (await db.execute(select(AvailabilityRule.weekday, AvailabilityRule.centre_id).where(
        AvailabilityRule.clinician_id == s.dr_north.id).order_by(AvailabilityRule.weekday))).all()
    assert [tuple(r) for r in left] == [(1, s.south.id), (3, s.north.id)]


async def test_slot_exception_with_the_panels_body(client, db):
    s = await _scene(db)
    monday = future_weekday(s.north, 1)
    response = await client.post(f"/api/users/clinicians/{s.dr_north.id}/slot-exceptions", headers=s.auth, json={
        "centreId": s.north.id, "exceptionDate": monday.isoformat(), "startTime": "10:00", "endTime": "10:30",
        "mode": "IN_PERSON", "reason": "Blocked by admin"})
    assert response.status_code == 201, response.text
    row = (await db.execute(select(AvailabilityException).where(
        AvailabilityException.clinician_id == s.dr_north.id))).scalar_one()
    assert (row.start_date, row.start_time, row.kind, row.centre_id) == (monday, time(10), "UNAVAILABLE", s.north.id)


async def test_slot_grid_under_the_users_prefix(client, db):
    s = await _scene(db)
    monday = future_weekday(s.north, 1)
    params = {"date": monday.isoformat(), "centreId": s.north.id}
    response = await client.get(f"/api/users/clinicians/{s.dr_north.id}/slots", params=params, headers=s.auth)
    assert response.status_code == 200, response.text
    slots = response.json()["data"]
    assert slots and {"date", "startTime", "endTime", "status", "mode", "centreId"} <= set(slots[0])
    assert slots[0]["date"] == monday.isoformat() and slots[0]["startTime"] == "09:00"
    canonical = await client.get(f"/api/clinicians/{s.dr_north.id}/slots", params=params, headers=s.auth)
    assert canonical.json() == response.json()
    assert (await client.get(f"/api/users/clinicians/{s.dr_north.id}/slots", params=params)).status_code == 401


# --- staff ---------------------------------------------------------------------------------------------------------

def _staff_body(**extra) -> dict:
    return {"full_name": "Meera Staff", "phone": _ten(), "email": "meera@example.com",
            "username": f"user{next_phone()[-6:]}", "password": "S3cure-pass", **extra}


async def _create(client, s: Scene, path: str, role_id: int, **extra) -> dict:
    response = await client.post(f"/api/users/{path}", headers=s.auth, json=_staff_body(**extra))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    listed = (await client.get(f"/api/users?roleId={role_id}", headers=s.auth)).json()["data"]
    assert [r["id"] for r in listed] == [data["id"]]
    assert listed[0]["full_name"] == "Meera Staff" and listed[0]["isActive"] is True
    return data


async def test_create_manager(client, db):
    s = await _scene(db)
    data = await _create(client, s, "managers", 2)
    assert data["role"] == "MANAGER" and data["full_name"] == "Meera Staff" and len(data["phone"]) == 10


async def test_create_centre_manager(client, db):
    s = await _scene(db)
    data = await _create(client, s, "centre-managers", 3, centreId=s.north.id)
    assert data["role"] == "CENTRE_MANAGER" and data["centreIds"] == [s.north.id]


async def test_create_care_coordinator(client, db):
    s = await _scene(db)
    data = await _create(client, s, "care-coordinators", 5, centreId=s.south.id)
    assert data["role"] == "CARE_COORDINATOR" and data["centreId"] == s.south.id


async def test_create_front_desk(client, db):
    s = await _scene(db)
    data = await _create(client, s, "front-desk", 6, centreId=s.north.id)
    assert data["role"] == "FRONT_DESK" and data["centreName"] == "Indiranagar"


async def test_create_with_the_general_form(client, db):
    s = await _scene(db)
    response = await client.post("/api/users", headers=s.auth, json=_staff_body(
        designation="Coordinator", role_ids=[5], centre_ids=[s.north.id, s.south.id]))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["role"] == "CARE_COORDINATOR" and data["centreIds"] == sorted([s.north.id, s.south.id])
    assert data["full_name"] == "Meera Staff"


async def test_list_by_role_id(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north], full_name="Dev Desk")
    await make_staff(db, org=s.org, role="CARE_COORDINATOR", centres=[s.north], full_name="Cara Care")
    await make_staff(db, org=s.other_org, role="FRONT_DESK", full_name="Elsewhere Desk")
    for query in ("roleId=6", "role_id=6", "role=FRONT_DESK", "role=front_desk"):
        response = await client.get(f"/api/users?{query}", headers=s.auth)
        assert response.status_code == 200, query
        rows = response.json()["data"]
        assert [r["id"] for r in rows] == [desk.id], query
        assert rows[0]["full_name"] == "Dev Desk" and rows[0]["centreName"] == "Indiranagar"
    clinicians = (await client.get("/api/users?roleId=4", headers=s.auth)).json()["data"]
    assert {r["clinicianId"] for r in clinicians} == {s.dr_north.id, s.dr_south.id}
    bad = await client.get("/api/users?roleId=9", headers=s.auth)
    assert bad.status_code == 422 and _field(bad) == "roleId"


async def test_get_user_has_what_the_edit_form_reads(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.south], full_name="Dev Desk",
                            username="dev.desk", email="dev@example.com")
    data = (await client.get(f"/api/users/{desk.id}", headers=s.auth)).json()["data"]
    assert (data["full_name"], data["username"], data["email"], data["centreId"]) == (
        "Dev Desk", "dev.desk", "dev@example.com", s.south.id)
    assert data["phone"] == desk.phone[3:]


async def test_update_user_with_the_front_desk_edit_form(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north], username="dev.desk")
    response = await client.put(f"/api/users/{desk.id}", headers=s.auth, json={
        "full_name": "Dev Renamed", "phone": desk.phone[3:], "username": "dev.desk", "centre_ids": [s.south.id]})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["full_name"] == "Dev Renamed" and data["centreId"] == s.south.id and data["role"] == "FRONT_DESK"


async def test_delete_user(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north])
    assert (await client.delete(f"/api/users/{desk.id}", headers=s.auth)).status_code == 200
    assert (await client.get(f"/api/users/{desk.id}", headers=s.auth)).status_code == 404
    assert (await client.get("/api/users?roleId=6", headers=s.auth)).json()["data"] == []


async def test_toggle_user_active(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north])
    off = await client.patch(f"/api/users/{desk.id}/toggle-active", headers=s.auth, json={"isActive": False})
    assert off.status_code == 200 and off.json()["data"]["isActive"] is False
    inactive = (await client.get("/api/users?roleId=6&isActive=false", headers=s.auth)).json()["data"]
    assert [r["id"] for r in inactive] == [desk.id]


# --- soft delete is undone by toggle-active ---------------------------------------------------------------------

async def test_a_deleted_centre_is_restored_by_toggle_active(client, db):
    s = await _scene(db)
    await client.delete(f"/api/centres/{s.south.id}", headers=s.auth)
    deleted = (await client.get("/api/centres?includeDeleted=true", headers=s.auth)).json()["data"]
    assert {c["id"]: c["isDeleted"] for c in deleted} == {s.north.id: False, s.south.id: True}
    refused = await client.patch(f"/api/centres/{s.south.id}/toggle-active", headers=s.auth, json={"isActive": False})
    assert refused.status_code == 404
    restored = await client.patch(f"/api/centres/{s.south.id}/toggle-active", headers=s.auth, json={"isActive": True})
    assert restored.status_code == 200 and restored.json()["data"]["isActive"] is True
    assert (await client.get(f"/api/centres/{s.south.id}")).status_code == 200


async def test_a_deleted_staff_user_is_restored_unless_their_phone_was_taken(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north], username="dev.desk")
    other = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north], username="ola.desk")
    for user in (desk, other):
        assert (await client.delete(f"/api/users/{user.id}", headers=s.auth)).status_code == 200
    listed = (await client.get("/api/users?roleId=6&includeDeleted=true", headers=s.auth)).json()["data"]
    assert {r["id"] for r in listed if r["isDeleted"]} == {desk.id, other.id}
    restored = await client.patch(f"/api/users/{desk.id}/toggle-active", headers=s.auth, json={"isActive": True})
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["isActive"] is True and restored.json()["data"]["isDeleted"] is False
    assert (await client.get(f"/api/users/{desk.id}", headers=s.auth)).status_code == 200
    taken = await client.post("/api/users/front-desk", headers=s.auth, json=_staff_body(
        phone=other.phone[3:], username="ola.desk", centreId=s.north.id))
    assert taken.status_code == 201, taken.text
    refused = await client.patch(f"/api/users/{other.id}/toggle-active", headers=s.auth, json={"isActive": True})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "DUPLICATE"
    await db.refresh(other)
    assert other.is_deleted and not other.is_active


async def test_a_deleted_clinician_is_restored_with_their_login(client, db):
    s = await _scene(db)
    assert (await client.delete(f"/api/users/clinicians/{s.dr_north.id}", headers=s.auth)).status_code == 200
    hidden = (await client.get("/api/users/clinicians?includeDeleted=true", headers=s.auth)).json()["data"]
    assert {c["id"]: c["isDeleted"] for c in hidden}[s.dr_north.id] is True
    restore_login = await client.patch(f"/api/users/{s.dr_north.user_id}/toggle-active", headers=s.auth,
                                       json={"isActive": True})
    assert restore_login.status_code == 409  # a clinician comes back through the clinician
    refused = await client.patch(f"/api/clinicians/{s.dr_north.id}/toggle-active", headers=s.auth,
                                 json={"isActive": False})
    assert refused.status_code == 404
    restored = await client.patch(f"/api/clinicians/{s.dr_north.id}/toggle-active", headers=s.auth,
                                  json={"isActive": True})
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["isActive"] is True and restored.json()["data"]["isDeleted"] is False
    assert (await client.get(f"/api/users/clinicians/{s.dr_north.id}")).status_code == 200
    user = await db.get(User, s.dr_north.user_id)
    await db.refresh(user)
    assert not user.is_deleted and user.is_active
    roles = (await db.execute(select(UserRole.role, UserRole.centre_id).where(UserRole.user_id == user.id))).all()
    assert [tuple(r) for r in roles] == [("CLINICIAN", s.north.id)]


async def test_restoring_a_clinician_whose_phone_was_taken_is_409(client, db):
    s = await _scene(db)
    user = await db.get(User, s.dr_south.user_id)
    await client.delete(f"/api/users/clinicians/{s.dr_south.id}", headers=s.auth)
    taken = await client.post("/api/users/managers", headers=s.auth, json=_staff_body(phone=user.phone[3:]))
    assert taken.status_code == 201
    refused = await client.patch(f"/api/clinicians/{s.dr_south.id}/toggle-active", headers=s.auth,
                                 json={"isActive": True})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "DUPLICATE"
    await db.refresh(s.dr_south)
    assert s.dr_south.is_deleted


# --- totals, other organizations, bad input -------------------------------------------------------------------

async def test_staff_lists_are_not_cut_at_a_page_and_carry_the_total(client, db):
    s = await _scene(db)
    for n in range(30):
        await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north], full_name=f"Desk {n:02d}")
    response = await client.get("/api/users?roleId=6", headers=s.auth)
    body = response.json()
    assert len(body["data"]) == 30 and isinstance(body["data"], list)
    assert body["pagination"]["total"] == 30 and response.headers["x-total-count"] == "30"
    page = await client.get("/api/users?roleId=6&limit=5&offset=10", headers=s.auth)
    assert [r["full_name"] for r in page.json()["data"]] == [f"Desk {n:02d}" for n in range(10, 15)]
    assert page.headers["x-total-count"] == "30"
    for n in range(3):
        await make_clinician(db, org=s.org, centre=s.north, full_name=f"Dr. Extra {n}")
    every = await client.get("/api/users/clinicians", headers=s.auth)
    assert len(every.json()["data"]) == 5 and every.headers["x-total-count"] == "5"


async def test_another_organizations_ids_are_404_and_change_nothing(client, db):
    s = await _scene(db)
    desk = await make_staff(db, org=s.org, role="FRONT_DESK", centres=[s.north])
    await client.delete(f"/api/users/{desk.id}", headers=s.auth)
    await client.delete(f"/api/centres/{s.south.id}", headers=s.auth)
    await client.delete(f"/api/users/clinicians/{s.dr_south.id}", headers=s.auth)
    restore = {"isActive": True}
    for method, path, body in [
        ("GET", f"/api/centres/{s.north.id}", None), ("PUT", f"/api/centres/{s.north.id}", {"name": "Zed"}),
        ("PATCH", f"/api/centres/{s.south.id}/toggle-active", restore),
        ("GET", f"/api/users/{desk.id}", None), ("PATCH", f"/api/users/{desk.id}/toggle-active", restore),
        ("GET", f"/api/users/{s.admin.id}", None), ("PUT", f"/api/users/{s.admin.id}", {"full_name": "Zed"}),
        ("PUT", f"/api/users/clinicians/{s.dr_north.id}", {"bio": "Zed"}),
        ("DELETE", f"/api/users/clinicians/{s.dr_north.id}", None),
        ("PATCH", f"/api/clinicians/{s.dr_south.id}/toggle-active", restore),
        ("PATCH", f"/api/users/clinicians/{s.dr_north.id}/credentials", {"username": "zed.zed"}),
        ("PUT", f"/api/users/clinicians/{s.dr_north.id}/availability", {"availability_rules": []}),
        ("GET", f"/api/users/clinicians/{s.dr_north.id}/availability/by-day", None),
        ("POST", f"/api/users/clinicians/{s.dr_north.id}/availability/delete-by-day", {"dayOfWeek": 1}),
    ]:
        response = await client.request(method, path, json=body, headers=s.foreign)
        assert response.status_code == 404, (method, path, response.text)
    await db.refresh(s.south)
    await db.refresh(desk)
    await db.refresh(s.dr_south)
    assert s.south.is_deleted and desk.is_deleted and s.dr_south.is_deleted
    rules = (await db.execute(select(func.count()).select_from(AvailabilityRule).where(
        AvailabilityRule.clinician_id == s.dr_north.id))).scalar_one()
    assert rules == 2


async def test_bad_input_is_422_naming_the_field_and_changes_nothing(client, db):
    s = await _scene(db)
    cases = [
        ("POST", "/api/centres", {"name": "X", "city": "delhi", "addressLine1": "1 Road", "pincode": "400050",
                                  "contactPhone": "9876543210"}, "city"),
        ("POST", "/api/centres", {"name": "X", "city": "mumbai", "addressLine1": "1 Road", "pincode": "40005",
                                  "contactPhone": "9876543210"}, "pincode"),
        ("PUT", f"/api/centres/{s.north.id}", {"contactPhone": "12345"}, "contactPhone"),
        ("POST", "/api/users", _staff_body(role_ids=[5, 6], centre_ids=[s.north.id]), "role_ids"),
        ("POST", "/api/users", _staff_body(role_ids=["nurse"], centre_ids=[s.north.id]), "role_ids"),
        ("POST", "/api/users/front-desk", _staff_body(phone="12345", centreId=s.north.id), "phone"),
        ("POST", "/api/users/centre-managers", _staff_body(centreId=s.other_centre.id), "centreIds"),
        ("PATCH", f"/api/users/{s.admin.id}/toggle-active", {"isActive": "maybe"}, "isActive"),
        ("PUT", f"/api/users/clinicians/{s.dr_north.id}", {"email": "not-an-email"}, "email"),
        ("POST", "/api/users/clinicians", {"full_name": "Dr. X", "phone": _ten(), "primary_centre_id": s.north.id,
                                           "availability_slots": [{"dayOfWeek": 1, "startTime": "25:00",
                                                                   "endTime": "26:00"}]},
         "availability_slots.0.startTime"),
        ("POST", f"/api/users/clinicians/{s.dr_north.id}/availability/delete-by-day", {"dayOfWeek": 9}, "dayOfWeek"),
        ("PUT", f"/api/users/clinicians/{s.dr_north.id}/availability",
         {"availability_rules": [{"centre_id": s.north.id, "dayOfWeek": 1, "startTime": "10:00",
                                  "endTime": "09:00"}]}, "availability_rules.0.endTime"),
        ("GET", f"/api/users/clinicians/{s.dr_north.id}/availability?date=2026-13-01", None, "date"),
        ("GET", "/api/users/clinicians?isActive=perhaps", None, "isActive"),
    ]
    users_before = (await db.execute(select(func.count()).select_from(User))).scalar_one()
    for method, path, body, field in cases:
        response = await client.request(method, path, json=body, headers=s.auth)
        assert response.status_code == 422, (path, field, response.text)
        assert field in [d["field"] for d in response.json()["error"]["details"]], (path, response.text)
    await db.refresh(s.north)
    assert s.north.phone == "+919800000000"
    assert (await db.execute(select(func.count()).select_from(User))).scalar_one() == users_before
    rules = (await db.execute(select(func.count()).select_from(AvailabilityRule).where(
        AvailabilityRule.clinician_id == s.dr_north.id))).scalar_one()
    assert rules == 2
