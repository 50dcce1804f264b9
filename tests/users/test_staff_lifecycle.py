"""Updating, deactivating and deleting staff: changes take effect on the user's next request."""

from __future__ import annotations

from sqlalchemy import select

from clinicops.auth.models import User, UserRole
from clinicops.auth.passwords import verify_password
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import PASSWORD, bearer, make_staff


async def _setup(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    admin = await make_staff(db, org=org, role="ADMIN")
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], full_name="Desk User")
    return org, centre, admin, desk


async def _works(client, headers) -> int:
    """Status of an ordinary staff request made with ``headers``."""
    return (await client.get("/api/patients", headers=headers)).status_code


async def test_deactivation_makes_the_existing_token_fail(db, client):
    org, centre, admin, desk = await _setup(db)
    token = bearer(desk)
    assert await _works(client, token) == 200
    response = await client.patch(f"/api/users/{desk.id}/toggle-active", headers=bearer(admin),
                                  json={"isActive": False})
    assert response.status_code == 200 and response.json()["data"]["isActive"] is False
    assert await _works(client, token) == 401
    await db.refresh(desk)
    reactivated = await client.patch(f"/api/users/{desk.id}/toggle-active", headers=bearer(admin),
                                     json={"is_active": True})
    assert reactivated.json()["data"]["isActive"] is True
    assert await _works(client, token) == 401  # the old token stays dead; a new sign-in is needed


async def test_role_change_revokes_and_name_change_does_not(db, client):
    org, centre, admin, desk = await _setup(db)
    token = bearer(desk)
    renamed = await client.put(f"/api/users/{desk.id}", headers=bearer(admin), json={"name": "Desk Renamed"})
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "Desk Renamed"
    assert await _works(client, token) == 200
    promoted = await client.put(f"/api/users/{desk.id}", headers=bearer(admin),
                                json={"roleId": 5, "centreIds": [centre.id]})
    assert promoted.status_code == 200 and promoted.json()["data"]["role"] == "CARE_COORDINATOR"
    assert await _works(client, token) == 401
    roles = (await db.execute(select(UserRole.role).where(UserRole.user_id == desk.id))).scalars().all()
    assert roles == ["CARE_COORDINATOR"]


async def test_centre_change_revokes(db, client):
    org, centre, admin, desk = await _setup(db)
    other = await make_centre(db, org=org)
    token = bearer(desk)
    moved = await client.put(f"/api/users/{desk.id}", headers=bearer(admin), json={"centre_ids": [other.id]})
    assert moved.status_code == 200 and moved.json()["data"]["centreIds"] == [other.id]
    assert await _works(client, token) == 401


async def test_password_change_hashes_and_revokes(db, client):
    org, centre, admin, desk = await _setup(db)
    token = bearer(desk)
    response = await client.put(f"/api/users/{desk.id}", headers=bearer(admin), json={"password": "N3w-password!"})
    assert response.status_code == 200
    assert "password" not in response.text.lower()
    user = await db.get(User, desk.id)
    await db.refresh(user)
    assert verify_password("N3w-password!", user.password_hash) and not verify_password(PASSWORD, user.password_hash)
    assert await _works(client, token) == 401


async def test_update_cannot_set_protected_fields(db, client):
    org, centre, admin, desk = await _setup(db)
    other = await make_org(db)
    response = await client.put(f"/api/users/{desk.id}", headers=bearer(admin), json={
        "organizationId": other.id, "organization_id": other.id, "userType": "PATIENT", "tokenVersion": 42,
        "token_version": 42, "passwordHash": "plain", "password_hash": "plain", "isDeleted": True, "email": "d@example.com"})
    assert response.status_code == 200, response.text
    user = await db.get(User, desk.id)
    await db.refresh(user)
    assert user.organization_id == org.id and user.user_type == "STAFF" and user.token_version == 0
    assert user.password_hash != "plain" and user.is_deleted is False and user.email == "d@example.com"


async def test_update_to_a_taken_phone_is_409_and_changes_nothing(db, client):
    org, centre, admin, desk = await _setup(db)
    response = await client.put(f"/api/users/{desk.id}", headers=bearer(admin),
                                json={"phone": admin.phone[-10:], "name": "Changed"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "DUPLICATE"
    await db.refresh(desk)
    assert desk.full_name == "Desk User" and desk.phone != admin.phone


async def test_admin_cannot_demote_deactivate_or_delete_themselves(db, client):
    org, centre, admin, _desk = await _setup(db)
    headers = bearer(admin)
    demote = await client.put(f"/api/users/{admin.id}", headers=headers, json={"role": "FRONT_DESK",
                                                                               "centreIds": [centre.id]})
    assert demote.status_code == 403
    deactivate = await client.patch(f"/api/users/{admin.id}/toggle-active", headers=headers, json={"isActive": False})
    assert deactivate.status_code == 403
    assert (await client.put(f"/api/users/{admin.id}", headers=headers, json={"isActive": False})).status_code == 403
    assert (await client.delete(f"/api/users/{admin.id}", headers=headers)).status_code == 403
    await db.refresh(admin)
    assert admin.is_active and not admin.is_deleted
    roles = (await db.execute(select(UserRole.role).where(UserRole.user_id == admin.id))).scalars().all()
    assert roles == ["ADMIN"]
    # an unrelated change to one's own profile is fine
    assert (await client.put(f"/api/users/{admin.id}", headers=headers, json={"name": "Admin"})).status_code == 200


async def test_soft_delete_frees_the_phone_and_kills_the_token(db, client):
    org, centre, admin, desk = await _setup(db)
    token = bearer(desk)
    response = await client.delete(f"/api/users/{desk.id}", headers=bearer(admin))
    assert response.status_code == 200
    assert (await client.get(f"/api/users/{desk.id}", headers=bearer(admin))).status_code == 404
    assert await _works(client, token) == 401
    user = await db.get(User, desk.id)
    await db.refresh(user)
    assert user.is_deleted is True and user.is_active is False
    again = await client.post("/api/users", headers=bearer(admin), json={
        "fullName": "New Desk", "phone": desk.phone[-10:], "role": "FRONT_DESK", "centreIds": [centre.id]})
    assert again.status_code == 201, again.text


async def test_clinician_users_are_managed_through_clinicians(db, client):
    org, centre, admin, _desk = await _setup(db)
    clinician = await make_clinician(db, org=org, centre=centre)
    headers = bearer(admin)
    change = await client.put(f"/api/users/{clinician.user_id}", headers=headers, json={"role": "MANAGER"})
    assert change.status_code == 422 and change.json()["error"]["details"][0]["field"] == "role"
    assert (await client.delete(f"/api/users/{clinician.user_id}", headers=headers)).status_code == 409
    renamed = await client.put(f"/api/users/{clinician.user_id}", headers=headers, json={"name": "Dr. Renamed"})
    assert renamed.status_code == 200 and renamed.json()["data"]["clinicianId"] == clinician.id
