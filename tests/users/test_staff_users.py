"""/api/users: staff user management by ADMIN (front desk also by MANAGER)."""

from __future__ import annotations

from sqlalchemy import func, select

from clinicops.auth.models import User
from clinicops.auth.passwords import verify_password
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_staff, next_phone


def _national(e164: str) -> str:
    return e164[-10:]


async def _staff_count(db, org) -> int:
    return (await db.execute(select(func.count()).select_from(User).where(
        User.organization_id == org.id, User.is_deleted.is_(False)))).scalar_one()


async def _setup(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    admin = await make_staff(db, org=org, role="ADMIN", full_name="Admin One")
    return org, centre, admin


async def test_admin_creates_a_staff_user_with_a_role_id_and_protected_fields_ignored(db, client):
    org, centre, admin = await _setup(db)
    other = await make_org(db)
    phone = next_phone()
    response = await client.post("/api/users", headers=bearer(admin), json={
        "full_name": "Kavya Nair", "phone": _national(phone), "email": "kavya@example.com", "username": "Kavya.N",
        "password": "S3cure-pass", "role": 5, "centre_ids": [centre.id],
        "organizationId": other.id, "organization_id": other.id, "userType": "PATIENT", "user_type": "PATIENT",
        "tokenVersion": 99, "password_hash": "x", "passwordHash": "x", "isDeleted": True})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["role"] == "CARE_COORDINATOR" and data["centreIds"] == [centre.id]
    assert data["phone"] == _national(phone) and data["name"] == "Kavya Nair" and data["isActive"] is True
    assert "password" not in response.text.lower() and "$argon2" not in response.text
    user = await db.get(User, data["id"])
    await db.refresh(user)
    assert user.organization_id == org.id and user.user_type == "STAFF" and user.token_version == 0
    assert user.is_deleted is False and user.phone == phone
    assert verify_password("S3cure-pass", user.password_hash)


async def test_role_names_are_accepted_in_any_case(db, client):
    org, centre, admin = await _setup(db)
    response = await client.post("/api/users", headers=bearer(admin), json={
        "name": "Rahul", "phone": _national(next_phone()), "role": "front_desk", "centreIds": [centre.id]})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["role"] == "FRONT_DESK"


async def test_per_role_endpoints_force_their_role(db, client):
    org, centre, admin = await _setup(db)
    cases = [("managers", "MANAGER"), ("centre-managers", "CENTRE_MANAGER"),
             ("care-coordinators", "CARE_COORDINATOR"), ("front-desk", "FRONT_DESK")]
    for path, role in cases:
        response = await client.post(f"/api/users/{path}", headers=bearer(admin), json={
            "fullName": f"User {role}", "phone": _national(next_phone()), "role": "ADMIN", "centreIds": [centre.id]})
        assert response.status_code == 201, (path, response.text)
        assert response.json()["data"]["roles"] == [role]


async def test_manager_may_create_front_desk_only(db, client):
    org, centre, _admin = await _setup(db)
    manager = await make_staff(db, org=org, role="MANAGER")
    body = {"fullName": "Desk", "phone": _national(next_phone()), "centreIds": [centre.id]}
    assert (await client.post("/api/users/front-desk", headers=bearer(manager), json=body)).status_code == 201
    body["phone"] = _national(next_phone())
    for path in ("/api/users", "/api/users/managers", "/api/users/centre-managers", "/api/users/care-coordinators"):
        assert (await client.post(path, headers=bearer(manager), json=body | {"role": 6})).status_code == 403, path


async def test_centre_bound_roles_need_a_centre_of_this_organization(db, client):
    org, centre, admin = await _setup(db)
    foreign = await make_centre(db, org=await make_org(db))
    before = await _staff_count(db, org)
    missing = await client.post("/api/users/centre-managers", headers=bearer(admin),
                                json={"fullName": "CM", "phone": _national(next_phone())})
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "centreIds"
    alien = await client.post("/api/users/front-desk", headers=bearer(admin),
                              json={"fullName": "FD", "phone": _national(next_phone()), "centreIds": [foreign.id]})
    assert alien.status_code == 422 and alien.json()["error"]["details"][0]["field"] == "centreIds"
    assert await _staff_count(db, org) == before


async def test_validation_errors_name_the_field(db, client):
    org, centre, admin = await _setup(db)
    before = await _staff_count(db, org)
    good = {"fullName": "Valid", "phone": _national(next_phone()), "role": "MANAGER"}
    cases = [({"phone": "12345"}, "phone"), ({"role": "BOSS"}, "role"), ({"role": 9}, "role"),
             ({"email": "not-an-email"}, "email"), ({"password": "short"}, "password"),
             ({"fullName": ""}, "fullName"), ({"username": "a b"}, "username")]
    for patch, field in cases:
        response = await client.post("/api/users", headers=bearer(admin), json=good | patch)
        assert response.status_code == 422, (patch, response.text)
        assert field in {d["field"] for d in response.json()["error"]["details"]}, response.json()
    no_role = await client.post("/api/users", headers=bearer(admin), json={k: v for k, v in good.items()
                                                                           if k != "role"})
    assert no_role.status_code == 422 and no_role.json()["error"]["details"][0]["field"] == "role"
    assert await _staff_count(db, org) == before


async def test_clinician_role_is_refused_here(db, client):
    org, centre, admin = await _setup(db)
    response = await client.post("/api/users", headers=bearer(admin), json={
        "fullName": "Dr. X", "phone": _national(next_phone()), "role": 4, "centreIds": [centre.id]})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "role"


async def test_duplicate_phone_in_the_organization_is_409_and_changes_nothing(db, client):
    org, centre, admin = await _setup(db)
    existing = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], full_name="First")
    before = await _staff_count(db, org)
    response = await client.post("/api/users", headers=bearer(admin), json={
        "fullName": "Second", "phone": _national(existing.phone), "role": "MANAGER"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "DUPLICATE"
    assert await _staff_count(db, org) == before
    # the same person may work for another organization
    other_admin = await make_staff(db, org=await make_org(db), role="ADMIN")
    elsewhere = await client.post("/api/users", headers=bearer(other_admin), json={
        "fullName": "Second", "phone": _national(existing.phone), "role": "MANAGER"})
    assert elsewhere.status_code == 201, elsewhere.text


async def test_duplicate_username_is_global_and_case_insensitive(db, client):
    org, centre, admin = await _setup(db)
    await make_staff(db, org=await make_org(db), role="ADMIN", username="desk.one")
    response = await client.post("/api/users", headers=bearer(admin), json={
        "fullName": "X", "phone": _national(next_phone()), "role": "MANAGER", "username": "Desk.One"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "DUPLICATE"


async def test_non_admin_roles_are_refused(db, client):
    org, centre, admin = await _setup(db)
    target = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre])
    for role in ("MANAGER", "CENTRE_MANAGER", "CARE_COORDINATOR", "FRONT_DESK", "CLINICIAN"):
        caller = await make_staff(db, org=org, role=role, centres=[centre])
        headers = bearer(caller)
        assert (await client.get("/api/users", headers=headers)).status_code == 403, role
        assert (await client.get(f"/api/users/{target.id}", headers=headers)).status_code == 403, role
        assert (await client.put(f"/api/users/{target.id}", headers=headers,
                                 json={"fullName": "Hacked"})).status_code == 403, role
        assert (await client.delete(f"/api/users/{target.id}", headers=headers)).status_code == 403, role
    await db.refresh(target)
    assert target.full_name != "Hacked" and target.is_deleted is False


async def test_admin_of_another_organization_gets_404(db, client):
    org, centre, _admin = await _setup(db)
    target = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], full_name="Target")
    outsider = await make_staff(db, org=await make_org(db), role="ADMIN")
    headers = bearer(outsider)
    assert (await client.get(f"/api/users/{target.id}", headers=headers)).status_code == 404
    assert (await client.put(f"/api/users/{target.id}", headers=headers,
                             json={"fullName": "Hacked"})).status_code == 404
    assert (await client.patch(f"/api/users/{target.id}/toggle-active", headers=headers,
                               json={"isActive": False})).status_code == 404
    assert (await client.delete(f"/api/users/{target.id}", headers=headers)).status_code == 404
    listed = (await client.get("/api/users", headers=headers)).json()["data"]
    assert target.id not in {u["id"] for u in listed}
    await db.refresh(target)
    assert target.full_name == "Target" and target.is_active and not target.is_deleted


async def test_list_filters_and_pagination(db, client):
    org, centre, admin = await _setup(db)
    second = await make_centre(db, org=org)
    desk_a = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], full_name="Anita Desk")
    desk_b = await make_staff(db, org=org, role="FRONT_DESK", centres=[second], full_name="Bala Desk")
    coordinator = await make_staff(db, org=org, role="CARE_COORDINATOR", centres=[centre], full_name="Chitra")
    headers = bearer(admin)
    by_role = (await client.get("/api/users", headers=headers, params={"role": "FRONT_DESK"})).json()
    assert {u["id"] for u in by_role["data"]} == {desk_a.id, desk_b.id}
    by_role_id = (await client.get("/api/users", headers=headers, params={"role": 6})).json()
    assert {u["id"] for u in by_role_id["data"]} == {desk_a.id, desk_b.id}
    by_centre = (await client.get("/api/users", headers=headers, params={"centreId": centre.id})).json()
    assert {u["id"] for u in by_centre["data"]} == {desk_a.id, coordinator.id}
    by_search = (await client.get("/api/users", headers=headers, params={"search": "desk"})).json()
    assert {u["id"] for u in by_search["data"]} == {desk_a.id, desk_b.id}
    by_phone = (await client.get("/api/users", headers=headers, params={"search": desk_b.phone[-6:]})).json()
    assert [u["id"] for u in by_phone["data"]] == [desk_b.id]
    page = (await client.get("/api/users", headers=headers, params={"limit": 2, "offset": 0})).json()
    assert len(page["data"]) == 2 and page["pagination"]["total"] == 4 and page["pagination"]["hasMore"] is True
    bad = await client.get("/api/users", headers=headers, params={"role": "BOSS"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "role"


async def test_list_shows_a_clinicians_id(db, client):
    org, centre, admin = await _setup(db)
    clinician = await make_clinician(db, org=org, centre=centre)
    data = (await client.get(f"/api/users/{clinician.user_id}", headers=bearer(admin))).json()["data"]
    assert data["clinicianId"] == clinician.id and data["role"] == "CLINICIAN"


async def test_no_response_carries_a_password_hash(db, client):
    org, centre, admin = await _setup(db)
    target = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], username="hash.check")
    headers = bearer(admin)
    responses = [await client.get("/api/users", headers=headers),
                 await client.get(f"/api/users/{target.id}", headers=headers),
                 await client.put(f"/api/users/{target.id}", headers=headers, json={"password": "An0ther-pass"}),
                 await client.patch(f"/api/users/{target.id}/toggle-active", headers=headers, json={"isActive": True})]
    for response in responses:
        assert response.status_code == 200, response.text
        assert "password" not in response.text.lower() and "$argon2" not in response.text
        assert "$2b$" not in response.text and "token_version" not in response.text.lower()
