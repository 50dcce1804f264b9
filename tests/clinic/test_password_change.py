"""A password someone else chose (a new doctor's temporary one) must be changed before anything else."""

from __future__ import annotations

from clinicops.auth.models import User
from tests.builders.auth import staff_sign_in
from tests.builders.clinic import bearer, clinic_login
from tests.builders.organizations import make_org
from tests.builders.people import make_staff


async def _must_change(db, member) -> None:
    user = await db.get(User, member.user.id)
    user.must_change_password = True
    await db.flush()


async def test_a_temporary_password_signs_in_but_opens_nothing_else_until_changed(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    await _must_change(db, doctor)
    signed_in = await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=doctor.phone)
    assert signed_in["user"]["mustChangePassword"] is True
    headers = bearer(signed_in["accessToken"])
    for method, path in (("GET", "/api/v1/clinics/profile"), ("GET", "/api/v1/doctors"),
                         ("GET", f"/api/v1/doctors/{doctor.doctor_id}")):
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "PASSWORD_CHANGE_REQUIRED"

    wrong = await client.post("/api/v1/auth/change-password", headers=headers,
                              json={"currentPassword": "not-it", "newPassword": "my-own-pass-9"})
    assert wrong.status_code == 401
    same = await client.post("/api/v1/auth/change-password", headers=headers,
                             json={"currentPassword": doctor.password, "newPassword": doctor.password})
    assert same.status_code == 422 and same.json()["error"]["details"][0]["field"] == "newPassword"
    changed = await client.post("/api/v1/auth/change-password", headers=headers,
                                json={"currentPassword": doctor.password, "newPassword": "my-own-pass-9"})
    assert changed.status_code == 200, changed.text
    fresh = bearer(changed.json()["data"]["accessToken"])
    assert (await client.get(f"/api/v1/doctors/{doctor.doctor_id}", headers=fresh)).status_code != 403
    # the sessions of the old password are over
    assert (await client.get("/api/v1/clinics/profile", headers=headers)).status_code == 401
    again = await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=doctor.phone,
                               password="my-own-pass-9")
    assert again["user"]["mustChangePassword"] is False


async def test_a_pending_change_still_allows_logout(client, db, clinic_a):
    await _must_change(db, clinic_a.admin)
    signed_in = await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=clinic_a.admin.phone)
    response = await client.post("/api/v1/auth/logout", headers=bearer(signed_in["accessToken"]), json={})
    assert response.status_code == 200


async def test_the_surface_is_for_clinic_admins_and_doctors_only(client, db, clinic_a):
    chain = await make_org(db)
    manager = await make_staff(db, org=chain, role="ADMIN", username="chain-admin")
    token = (await staff_sign_in(client, "chain-admin"))["accessToken"]
    response = await client.get("/api/v1/clinics/profile", headers=bearer(token))
    assert response.status_code == 403, response.text
    assert manager.organization_id != clinic_a.org.id
    assert (await client.get("/api/v1/clinics/profile")).status_code == 401
