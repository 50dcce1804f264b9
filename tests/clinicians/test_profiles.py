"""Creating, changing, deleting and toggling clinicians, with each role allowed or refused."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from clinicops.auth.models import User, UserRole
from clinicops.clinicians.models import AvailabilityRule, Clinician
from tests.builders.availability import future_weekday, make_appointment
from tests.builders.clinicians import make_clinician
from tests.builders.people import bearer, make_patient, next_phone


def new_doctor(centre_id: int, **extra) -> dict:
    phone = next_phone()[3:]  # the admin panel sends 10 digits
    body = {"fullName": "Dr. Kavya Menon", "phone": phone, "email": "kavya@example.com",
            "primaryCentreId": centre_id, "specialization": "Psychiatry, Child Psychiatry",
            "qualification": ["MBBS", "MD"], "languages": "English, Malayalam", "expertise": ["Anxiety"],
            "registrationNumber": "KMC-1234", "yearsOfExperience": 9, "consultationFee": 1500,
            "defaultDurationMinutes": 30, "consultationModes": ["IN_PERSON", "ONLINE"],
            "profilePictureUrl": "https://cdn.example.com/kavya.jpg", "bio": "Adult and child psychiatry."}
    body.update(extra)
    return body


async def test_admin_creates_a_clinician_with_login_and_rules(client, db, chain):
    body = new_doctor(chain.north.id, username="dr.kavya", password="Str0ngPass!", availability_rules=[
        {"centre_id": chain.north.id, "dayOfWeek": 1, "startTime": "09:00", "endTime": "12:00",
         "slotDurationMinutes": 20, "consultationMode": "IN_PERSON"}])
    response = await client.post("/api/clinicians", json=body, headers=chain.auth("ADMIN"))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["fullName"] == "Dr. Kavya Menon"
    assert data["specialization"] == ["Psychiatry", "Child Psychiatry"]
    assert data["languages"] == ["English", "Malayalam"]
    assert data["consultationFee"] == 1500 and isinstance(data["consultationFee"], int)
    assert data["phone"] == body["phone"] and data["primaryCentre"]["name"] == "North Centre"
    assert [(r["dayOfWeek"], r["startTime"], r["slotDurationMinutes"]) for r in data["availabilityRules"]] == [
        (1, "09:00", 20)]
    clinician = await db.get(Clinician, data["id"])
    assert clinician.consultation_fee_paise == 150_000
    user = await db.get(User, clinician.user_id)
    assert user.user_type == "STAFF" and user.phone == "+91" + body["phone"] and user.password_hash
    roles = (await db.execute(select(UserRole.role, UserRole.centre_id).where(UserRole.user_id == user.id))).all()
    assert [tuple(r) for r in roles] == [("CLINICIAN", chain.north.id)]
    assert "password" not in response.text.lower().replace("passwordless", "")


async def test_fee_with_paise_is_a_json_number(client, chain):
    response = await client.post("/api/clinicians", json=new_doctor(chain.north.id, consultationFee="999.50"),
                                 headers=chain.auth("ADMIN"))
    assert response.status_code == 201
    assert response.json()["data"]["consultationFee"] == 999.5


@pytest.mark.parametrize("role", ["MANAGER", "CARE_COORDINATOR", "FRONT_DESK"])
async def test_roles_that_may_not_create_get_403(client, chain, role):
    response = await client.post("/api/clinicians", json=new_doctor(chain.north.id), headers=chain.auth(role))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


async def test_a_clinician_or_patient_may_not_create(client, db, chain, doctor):
    doctor_user = await db.get(User, doctor.user_id)
    response = await client.post("/api/clinicians", json=new_doctor(chain.north.id), headers=bearer(doctor_user))
    assert response.status_code == 403
    patient = await make_patient(db, org=chain.org)
    patient_user = await db.get(User, patient.user_id)
    response = await client.post("/api/clinicians", json=new_doctor(chain.north.id), headers=bearer(patient_user))
    assert response.status_code == 403
    assert (await client.post("/api/clinicians", json=new_doctor(chain.north.id))).status_code == 401


async def test_centre_manager_creates_only_at_their_centres(client, chain):
    mine = await client.post("/api/clinicians", json=new_doctor(chain.north.id), headers=chain.auth("CENTRE_MANAGER"))
    assert mine.status_code == 201
    other = await client.post("/api/clinicians", json=new_doctor(chain.south.id),
                              headers=chain.auth("CENTRE_MANAGER"))
    assert other.status_code == 404


async def test_duplicate_phone_in_organization_is_409(client, chain):
    body = new_doctor(chain.north.id)
    assert (await client.post("/api/clinicians", json=body, headers=chain.auth("ADMIN"))).status_code == 201
    again = await client.post("/api/clinicians", json={**body, "email": "other@example.com"},
                              headers=chain.auth("ADMIN"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "DUPLICATE"


async def test_bad_input_names_the_field_and_creates_nothing(client, db, chain):
    before = len((await db.execute(select(Clinician.id))).all())
    for body, field in ((new_doctor(chain.north.id, phone="12345"), "phone"),
                        (new_doctor(chain.north.id, consultationFee=-5), "consultationFee"),
                        (new_doctor(chain.north.id, consultationModes="TELEPATHY"), "consultationModes"),
                        (new_doctor(chain.north.id, defaultDurationMinutes=2), "defaultDurationMinutes")):
        response = await client.post("/api/clinicians", json=body, headers=chain.auth("ADMIN"))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["field"] == field
    missing = new_doctor(chain.north.id)
    del missing["primaryCentreId"]
    response = await client.post("/api/clinicians", json=missing, headers=chain.auth("ADMIN"))
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "primaryCentreId"
    assert len((await db.execute(select(Clinician.id))).all()) == before


async def test_update_changes_profile_and_login_and_bumps_updated_at(client, db, chain, doctor):
    before = (await db.execute(select(Clinician.updated_at).where(Clinician.id == doctor.id))).scalar_one()
    response = await client.put(f"/api/clinicians/{doctor.id}", headers=chain.auth("ADMIN"), json={
        "name": "Dr. Renamed", "consultation_fee": 2000, "specializations": ["Neurology"], "bio": None})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["fullName"] == "Dr. Renamed" and data["consultationFee"] == 2000
    assert data["specialization"] == ["Neurology"] and data["bio"] is None
    assert data["qualification"] == ["MBBS", "MD"]  # untouched
    after = (await db.execute(select(Clinician.updated_at).where(Clinician.id == doctor.id))).scalar_one()
    assert after > before


async def test_update_through_the_alias_path(client, chain, doctor):
    response = await client.put(f"/api/clinicians/clinicians/{doctor.id}", headers=chain.auth("ADMIN"),
                                json={"yearsOfExperience": 21})
    assert response.status_code == 200 and response.json()["data"]["yearsOfExperience"] == 21


async def test_centre_manager_cannot_see_or_change_other_centres_clinicians(client, db, chain):
    south_doctor = await make_clinician(db, org=chain.org, centre=chain.south, full_name="Dr. South")
    for method, path, body in (("PUT", "", {"bio": "x"}), ("DELETE", "", None),
                               ("PATCH", "/toggle-active", {"isActive": False}),
                               ("PUT", "/availability", {"availability_rules": []})):
        response = await client.request(method, f"/api/clinicians/{south_doctor.id}{path}", json=body,
                                        headers=chain.auth("CENTRE_MANAGER"))
        assert response.status_code == 404, (method, path, response.text)
    assert (await db.get(Clinician, south_doctor.id)).is_active


async def test_centre_manager_manages_a_clinician_with_rules_at_their_centre(client, db, chain):
    visiting = await make_clinician(db, org=chain.org, centre=chain.south, full_name="Dr. Visiting")
    db.add(AvailabilityRule(organization_id=chain.org.id, clinician_id=visiting.id, centre_id=chain.north.id,
                            weekday=5, start_time=time(9), end_time=time(11), slot_minutes=30, mode="IN_PERSON"))
    await db.flush()
    response = await client.put(f"/api/clinicians/{visiting.id}", json={"bio": "Visits North on Fridays"},
                                headers=chain.auth("CENTRE_MANAGER"))
    assert response.status_code == 200


async def test_delete_is_refused_with_a_future_appointment(client, db, chain, doctor, patient):
    day = future_weekday(chain.north, 1)
    await make_appointment(db, clinician=doctor, centre=chain.north, patient=patient, day=day, start=time(10))
    response = await client.delete(f"/api/clinicians/{doctor.id}", headers=chain.auth("ADMIN"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "HAS_FUTURE_APPOINTMENTS"
    await db.refresh(doctor)
    assert not doctor.is_deleted and doctor.is_active


async def test_delete_ignores_cancelled_appointments_and_frees_the_phone(client, db, chain, doctor, patient):
    day = future_weekday(chain.north, 1)
    await make_appointment(db, clinician=doctor, centre=chain.north, patient=patient, day=day, start=time(10),
                           status="CANCELLED")
    user = await db.get(User, doctor.user_id)
    phone = user.phone
    response = await client.delete(f"/api/clinicians/{doctor.id}", headers=chain.auth("ADMIN"))
    assert response.status_code == 200, response.text
    assert (await client.get(f"/api/clinicians/{doctor.id}")).status_code == 404
    await db.refresh(user)
    assert user.is_deleted and not user.is_active
    again = await client.post("/api/clinicians", json=new_doctor(chain.north.id, phone=phone[3:]),
                              headers=chain.auth("ADMIN"))
    assert again.status_code == 201
    assert (await client.delete(f"/api/clinicians/{doctor.id}", headers=chain.auth("ADMIN"))).status_code == 404


async def test_toggle_active_hides_from_public_and_back(client, chain, doctor):
    off = await client.patch(f"/api/clinicians/{doctor.id}/toggle-active", json={"isActive": False},
                             headers=chain.auth("CENTRE_MANAGER"))
    assert off.status_code == 200 and off.json()["data"]["isActive"] is False
    listed = await client.get("/api/clinicians")
    assert doctor.id not in [c["id"] for c in listed.json()["data"]]
    assert (await client.get(f"/api/clinicians/{doctor.id}")).status_code == 404
    flipped = await client.patch(f"/api/clinicians/{doctor.id}/toggle-active", headers=chain.auth("ADMIN"))
    assert flipped.status_code == 200 and flipped.json()["data"]["isActive"] is True
    assert doctor.id in [c["id"] for c in (await client.get("/api/clinicians")).json()["data"]]


async def test_toggle_refused_for_front_desk(client, chain, doctor):
    response = await client.patch(f"/api/clinicians/{doctor.id}/toggle-active", json={"isActive": False},
                                  headers=chain.auth("FRONT_DESK"))
    assert response.status_code == 403


async def test_centre_manager_cannot_move_a_clinician_or_add_centres_outside_their_own(client, db, chain, doctor):
    moved = await client.put(f"/api/clinicians/{doctor.id}", json={"primaryCentreId": chain.south.id},
                             headers=chain.auth("CENTRE_MANAGER"))
    assert moved.status_code == 404
    assert moved.json()["error"]["details"][0]["field"] == "primaryCentreId"
    added = await client.put(f"/api/clinicians/{doctor.id}", json={"centreIds": [chain.south.id]},
                             headers=chain.auth("CENTRE_MANAGER"))
    assert added.status_code == 404 and added.json()["error"]["details"][0]["field"] == "centreIds"
    await db.refresh(doctor)
    assert doctor.primary_centre_id == chain.north.id
    by_admin = await client.put(f"/api/clinicians/{doctor.id}", json={"primaryCentreId": chain.south.id},
                                headers=chain.auth("ADMIN"))
    assert by_admin.status_code == 200 and by_admin.json()["data"]["primaryCentre"]["name"] == "South Centre"
    roles = (await db.execute(select(UserRole.centre_id).where(UserRole.user_id == doctor.user_id,
                                                               UserRole.role == "CLINICIAN"))).scalars().all()
    assert sorted(roles) == sorted([chain.north.id, chain.south.id])
