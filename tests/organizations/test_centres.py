"""/api/centres: public reads of active centres, staff reads, ADMIN/CENTRE_MANAGER writes, soft delete."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from clinicops.auth.models import User
from clinicops.kit.timezones import utcnow
from clinicops.organizations.models import Centre
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_appointment
from tests.builders.people import bearer, make_patient, make_staff


async def _centre_count(db, org) -> int:
    return (await db.execute(select(func.count()).select_from(Centre).where(
        Centre.organization_id == org.id))).scalar_one()


async def test_active_centre_is_public_even_with_a_stale_token(db, client):
    org = await make_org(db, slug="main")
    centre = await make_centre(db, org=org, address_line2="Near the park")
    for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Bearer null"}):
        response = await client.get(f"/api/centres/{centre.id}", headers=headers)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["id"] == centre.id and data["isActive"] is True
        assert data["addressLine1"] == data["address_line_1"] == "1 MG Road"
        assert data["addressLine2"] == data["address_line_2"] == "Near the park"
        assert data["contactPhone"] == "9800000000"


async def test_inactive_centre_is_hidden_from_the_public_but_not_from_staff(db, client):
    org = await make_org(db, slug="main")
    active = await make_centre(db, org=org, city="kochi")
    inactive = await make_centre(db, org=org, is_active=False)
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[active])
    assert (await client.get(f"/api/centres/{inactive.id}")).status_code == 404
    staff_view = await client.get(f"/api/centres/{inactive.id}", headers=bearer(desk))
    assert staff_view.status_code == 200 and staff_view.json()["data"]["isActive"] is False

    public_ids = {c["id"] for c in (await client.get("/api/centres")).json()["data"]}
    staff_ids = {c["id"] for c in (await client.get("/api/centres", headers=bearer(desk))).json()["data"]}
    assert public_ids == {active.id}
    assert staff_ids == {active.id, inactive.id}


async def test_city_filter_is_case_insensitive(db, client):
    org = await make_org(db, slug="main")
    kochi = await make_centre(db, org=org, city="kochi")
    await make_centre(db, org=org, city="mumbai")
    response = await client.get("/api/centres", params={"city": "KOCHI"})
    assert [c["id"] for c in response.json()["data"]] == [kochi.id]


async def test_another_organizations_staff_cannot_read_this_centre(db, client):
    org = await make_org(db)
    other = await make_org(db)
    centre = await make_centre(db, org=org)
    outsider = await make_staff(db, org=other, role="ADMIN")
    assert (await client.get(f"/api/centres/{centre.id}", headers=bearer(outsider))).status_code == 404
    listed = (await client.get("/api/centres", headers=bearer(outsider))).json()["data"]
    assert centre.id not in {c["id"] for c in listed}


async def test_admin_creates_a_centre_city_lowercased_and_protected_fields_ignored(db, client):
    org = await make_org(db)
    other = await make_org(db)
    admin = await make_staff(db, org=org, role="ADMIN")
    response = await client.post("/api/centres", headers=bearer(admin), json={
        "name": "Andheri Centre", "city": "Mumbai", "address_line_1": "12 Link Road", "addressLine2": None,
        "pincode": "400053", "contactPhone": "9876543210", "organizationId": other.id, "organization_id": other.id,
        "id": 999999, "isDeleted": True})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["city"] == "mumbai" and data["addressLine1"] == "12 Link Road"
    assert data["contactPhone"] == "9876543210" and data["id"] != 999999
    stored = await db.get(Centre, data["id"])
    assert stored.organization_id == org.id and stored.is_deleted is False and stored.phone == "+919876543210"
    assert await _centre_count(db, other) == 0


async def test_invalid_centre_input_names_the_field_and_changes_nothing(db, client):
    org = await make_org(db)
    admin = await make_staff(db, org=org, role="ADMIN")
    before = await _centre_count(db, org)
    cases = [({"city": "delhi"}, "city"), ({"contactPhone": "12345"}, "contactPhone"),
             ({"pincode": "56"}, "pincode"), ({"name": ""}, "name")]
    for patch, field in cases:
        body = {"name": "X", "city": "kochi", "addressLine1": "Road", "pincode": "682001"} | patch
        response = await client.post("/api/centres", headers=bearer(admin), json=body)
        assert response.status_code == 422, (patch, response.text)
        assert field in {d["field"] for d in response.json()["error"]["details"]}
    assert await _centre_count(db, org) == before


async def test_only_admin_creates_centres(db, client):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    body = {"name": "X", "city": "kochi", "addressLine1": "Road"}
    for role in ("MANAGER", "CENTRE_MANAGER", "CARE_COORDINATOR", "FRONT_DESK", "CLINICIAN"):
        user = await make_staff(db, org=org, role=role, centres=[centre])
        response = await client.post("/api/centres", headers=bearer(user), json=body)
        assert response.status_code == 403, role
    patient = await make_patient(db, org=org)
    patient_user = await db.get(User, patient.user_id)
    assert (await client.post("/api/centres", headers=bearer(patient_user), json=body)).status_code == 403
    assert (await client.post("/api/centres", json=body)).status_code == 401


async def test_centre_manager_updates_only_their_centres(db, client):
    org = await make_org(db)
    mine = await make_centre(db, org=org)
    theirs = await make_centre(db, org=org)
    manager = await make_staff(db, org=org, role="CENTRE_MANAGER", centres=[mine])
    ok_response = await client.put(f"/api/centres/{mine.id}", headers=bearer(manager),
                                   json={"name": "Renamed", "address_line_2": "Floor 2"})
    assert ok_response.status_code == 200, ok_response.text
    assert ok_response.json()["data"]["name"] == "Renamed"
    assert ok_response.json()["data"]["addressLine2"] == "Floor 2"
    refused = await client.put(f"/api/centres/{theirs.id}", headers=bearer(manager), json={"name": "Hijack"})
    assert refused.status_code == 404
    await db.refresh(theirs)
    assert theirs.name != "Hijack"


async def test_centre_manager_cannot_deactivate_and_desk_roles_cannot_update(db, client):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    manager = await make_staff(db, org=org, role="CENTRE_MANAGER", centres=[centre])
    response = await client.put(f"/api/centres/{centre.id}", headers=bearer(manager), json={"isActive": False})
    assert response.status_code == 403
    toggle = await client.patch(f"/api/centres/{centre.id}/toggle-active", headers=bearer(manager),
                                json={"isActive": False})
    assert toggle.status_code == 403
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre])
    assert (await client.put(f"/api/centres/{centre.id}", headers=bearer(desk), json={"name": "X"})).status_code == 403
    await db.refresh(centre)
    assert centre.is_active is True and centre.name != "X"


async def test_admin_of_another_organization_cannot_update_or_delete(db, client):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    outsider = await make_staff(db, org=await make_org(db), role="ADMIN")
    assert (await client.put(f"/api/centres/{centre.id}", headers=bearer(outsider),
                             json={"name": "Mine now"})).status_code == 404
    assert (await client.delete(f"/api/centres/{centre.id}", headers=bearer(outsider))).status_code == 404
    await db.refresh(centre)
    assert centre.name != "Mine now" and centre.is_deleted is False


async def test_toggle_active_hides_the_centre_from_the_public(db, client):
    org = await make_org(db, slug="main")
    centre = await make_centre(db, org=org)
    admin = await make_staff(db, org=org, role="ADMIN")
    response = await client.patch(f"/api/centres/{centre.id}/toggle-active", headers=bearer(admin),
                                  json={"isActive": False})
    assert response.status_code == 200 and response.json()["data"]["isActive"] is False
    assert (await client.get(f"/api/centres/{centre.id}")).status_code == 404
    bad = await client.patch(f"/api/centres/{centre.id}/toggle-active", headers=bearer(admin), json={})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "isActive"


async def test_delete_refused_while_future_appointments_exist(db, client):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    admin = await make_staff(db, org=org, role="ADMIN")
    clinician = await make_clinician(db, org=org, centre=centre)
    patient = await make_patient(db, org=org)
    appointment = await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    refused = await client.delete(f"/api/centres/{centre.id}", headers=bearer(admin))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CONFLICT"
    await db.refresh(centre)
    assert centre.is_deleted is False

    appointment.status = "CANCELLED"
    await make_appointment(db, centre=centre, clinician=clinician, patient=patient,
                           starts_at=utcnow() - timedelta(days=3))  # a past one does not hold the centre
    await db.flush()
    deleted = await client.delete(f"/api/centres/{centre.id}", headers=bearer(admin))
    assert deleted.status_code == 200, deleted.text
    assert (await client.get(f"/api/centres/{centre.id}", headers=bearer(admin))).status_code == 404
    await db.refresh(centre)
    assert centre.is_deleted is True and centre.is_active is False


async def test_only_admin_deletes(db, client):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    manager = await make_staff(db, org=org, role="CENTRE_MANAGER", centres=[centre])
    assert (await client.delete(f"/api/centres/{centre.id}", headers=bearer(manager))).status_code == 403
