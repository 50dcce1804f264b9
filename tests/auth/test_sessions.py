"""Refresh-token sessions: ROTATING with reuse detection (service level), STATIC on the hospital surface."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clinicops.auth import sessions, tokens
from clinicops.auth.exceptions import InvalidRefreshToken
from clinicops.auth.models import AuthSession, User
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from tests.builders.auth import auth, patient_sign_in, served_org, staff_sign_in
from tests.builders.people import make_staff, next_phone


async def _rows(db, family_id: str) -> list[AuthSession]:
    result = await db.execute(select(AuthSession).where(AuthSession.family_id == family_id).order_by(AuthSession.id))
    return list(result.scalars())


async def test_rotation_issues_a_new_token_with_the_family_expiry(db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    first = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC, user_agent="ua/1",
                                 ip="198.51.100.1")
    second = await sessions.refresh(db, first.refresh_token, surface=sessions.CLINIC)
    assert second.refresh_token and second.refresh_token != first.refresh_token
    assert second.family_id == first.family_id and second.refresh_expires_at == first.refresh_expires_at
    rows = await _rows(db, first.family_id)
    assert [r.parent_id for r in rows] == [None, rows[0].id]
    assert rows[0].used_at is not None and rows[1].used_at is None
    assert rows[0].token_hash == tokens.token_hash(first.refresh_token)  # only the hash is stored
    assert rows[0].user_agent == "ua/1" and rows[0].ip == "198.51.100.1"
    third = await sessions.refresh(db, second.refresh_token, surface=sessions.CLINIC)
    assert third.refresh_expires_at == first.refresh_expires_at


async def test_reusing_a_rotated_token_revokes_the_whole_family(client, db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    first = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    second = await sessions.refresh(db, first.refresh_token, surface=sessions.CLINIC)
    assert (await client.get("/api/auth/me", headers=auth(second.access_token))).status_code == 200

    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(db, first.refresh_token, surface=sessions.CLINIC)  # replay of a used token

    assert all(r.revoked_at is not None and r.revoked_reason == "reuse_detected"
               for r in await _rows(db, first.family_id))
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(db, second.refresh_token, surface=sessions.CLINIC)
    # Access tokens of the family die with it.
    assert (await client.get("/api/auth/me", headers=auth(second.access_token))).status_code == 401


async def test_reuse_revocation_survives_the_refused_request(db):
    """The 401 rolls the request back; the family's revocation must be committed anyway."""
    from clinicops.db import unit_of_work

    org = await served_org(db)
    user = await make_staff(db, org=org)
    first = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    await sessions.refresh(db, first.refresh_token, surface=sessions.CLINIC)
    with pytest.raises(InvalidRefreshToken):
        async with unit_of_work() as uow:
            await sessions.refresh(uow, first.refresh_token, surface=sessions.CLINIC)
    assert all(r.revoked_at is not None for r in await _rows(db, first.family_id))


async def test_other_families_survive_a_reuse(db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    phone_one = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    phone_two = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    await sessions.refresh(db, phone_one.refresh_token, surface=sessions.CLINIC)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(db, phone_one.refresh_token, surface=sessions.CLINIC)
    assert (await sessions.refresh(db, phone_two.refresh_token, surface=sessions.CLINIC)).refresh_token


async def test_absolute_expiry_ends_the_family(db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    first = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    ttl = first.refresh_expires_at - utcnow()
    assert timedelta(days=7) - timedelta(seconds=5) < ttl <= timedelta(days=7)
    await db.execute(update(AuthSession).where(AuthSession.family_id == first.family_id)
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(db, first.refresh_token, surface=sessions.CLINIC)


async def test_a_token_of_one_surface_does_not_refresh_on_the_other(db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    clinic = await sessions.start(db, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(db, clinic.refresh_token, surface=sessions.HOSPITAL)


async def test_forged_refresh_token_for_a_real_family_is_refused(db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    real = await sessions.start(db, user, policy=sessions.STATIC, surface=sessions.HOSPITAL)
    forged = tokens.issue_refresh_token(get_settings(), user_id=user.id, session_family=real.family_id,
                                        expires_at=real.refresh_expires_at)  # well signed, but never issued
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(db, forged, surface=sessions.HOSPITAL)


async def test_static_refresh_works_repeatedly_then_stops_after_logout(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="static")
    data = await staff_sign_in(client, "static")
    for _ in range(3):
        response = await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})
        assert response.status_code == 200
        assert set(response.json()["data"]) == {"accessToken"}
        access = response.json()["data"]["accessToken"]
        assert (await client.get("/api/auth/me", headers=auth(access))).status_code == 200
    out = await client.post("/api/auth/logout", headers=auth(access))
    assert out.status_code == 200
    after = await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})
    assert after.status_code == 401
    assert (await client.get("/api/auth/me", headers=auth(data["accessToken"]))).status_code == 401


async def test_logout_needs_the_access_token_as_the_design_table_says(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="leaver")
    data = await staff_sign_in(client, "leaver")
    for path in ("/api/auth/logout", "/api/patient-auth/logout"):
        assert (await client.post(path)).status_code == 401
        refused = await client.post(path, json={"refreshToken": data["refreshToken"]})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"
        assert (await client.post(path, headers=auth("not-a-token"))).status_code == 401
    # Nothing was revoked by the refused calls; with the token, logout ends the session.
    assert (await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})).status_code == 200
    out = await client.post("/api/auth/logout", headers=auth(data["accessToken"]),
                            json={"refreshToken": data["refreshToken"]})
    assert out.status_code == 200
    assert (await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})).status_code == 401


async def test_patient_static_refresh_and_logout(client, db):
    await served_org(db)
    data = await patient_sign_in(client, db, next_phone())
    for _ in range(2):
        response = await client.post("/api/patient-auth/refresh-token", json={"refreshToken": data["refreshToken"]})
        assert response.status_code == 200 and set(response.json()["data"]) == {"accessToken"}
    access = response.json()["data"]["accessToken"]
    assert (await client.get("/api/patient-auth/me", headers=auth(access))).status_code == 200
    assert (await client.post("/api/patient-auth/logout", headers=auth(access))).status_code == 200
    response = await client.post("/api/patient-auth/refresh-token", json={"refresh_token": data["refreshToken"]})
    assert response.status_code == 401


async def test_refresh_refuses_the_other_kind_of_account(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="crossing")
    staff = await staff_sign_in(client, "crossing")
    patient = await patient_sign_in(client, db, next_phone())
    response = await client.post("/api/patient-auth/refresh-token", json={"refreshToken": staff["refreshToken"]})
    assert response.status_code == 403
    response = await client.post("/api/auth/refresh", json={"refreshToken": patient["refreshToken"]})
    assert response.status_code == 403


async def test_deactivation_ends_sessions_on_the_next_request(client, db):
    org = await served_org(db)
    user = await make_staff(db, org=org, username="leaving")
    data = await staff_sign_in(client, "leaving")
    assert (await client.get("/api/auth/me", headers=auth(data["accessToken"]))).status_code == 200
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    await sessions.revoke_all_for_user(db, user.id, "deactivated")
    assert (await client.get("/api/auth/me", headers=auth(data["accessToken"]))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})).status_code == 401


async def test_deactivation_alone_stops_the_token(client, db):
    """Even without session revocation, an inactive user's token stops on the next request."""
    org = await served_org(db)
    user = await make_staff(db, org=org, username="paused")
    data = await staff_sign_in(client, "paused")
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert (await client.get("/api/auth/me", headers=auth(data["accessToken"]))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})).status_code == 401


async def test_password_change_revocation_keeps_other_users_signed_in(client, db):
    org = await served_org(db)
    one = await make_staff(db, org=org, username="one")
    await make_staff(db, org=org, username="two")
    first = await staff_sign_in(client, "one")
    second = await staff_sign_in(client, "two")
    await sessions.revoke_all_for_user(db, one.id, "password_changed")
    assert (await client.post("/api/auth/refresh", json={"refreshToken": first["refreshToken"]})).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refreshToken": second["refreshToken"]})).status_code == 200
