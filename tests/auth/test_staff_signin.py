"""Staff sign-in on /api/auth: three ways in, refusals, limits, and what the token carries."""

from __future__ import annotations

import bcrypt
import jwt
from sqlalchemy import select

from clinicops.auth.models import User
from clinicops.kit import phones
from tests.builders.auth import auth, last_otp, otp_messages, served_org, staff_sign_in
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import PASSWORD, make_patient, make_staff, next_phone


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


async def test_username_password_login_returns_admin_panel_user(client, db):
    org = await served_org(db)
    centre = await make_centre(db, org=org)
    user = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], username="Desk.One",
                            full_name="Desk One")

    data = await staff_sign_in(client, "desk.one")  # usernames are case-insensitive

    assert data["user"]["id"] == user.id
    assert data["user"]["role"] == "FRONT_DESK" and data["user"]["centreIds"] == [centre.id]
    assert data["user"]["phone"] == phones.national(user.phone)
    claims = claims_of(data["accessToken"])
    assert claims["userId"] == user.id and claims["userType"] == "STAFF" and claims["roles"] == ["FRONT_DESK"]
    me = await client.get("/api/auth/me", headers=auth(data["accessToken"]))
    assert me.status_code == 200 and me.json()["data"]["id"] == user.id
    # The panel pre-selects the desk's centre (and limits its pickers to it) from assignedCentreId.
    assert data["user"]["assignedCentreId"] == centre.id == me.json()["data"]["assignedCentreId"]
    await make_staff(db, org=org, role="ADMIN", username="chief.one")
    assert (await staff_sign_in(client, "chief.one"))["user"]["assignedCentreId"] is None  # every centre


async def test_phone_password_login_accepts_every_phone_form(client, db):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    for form in (phones.national(user.phone), phones.wire(user.phone), user.phone):
        response = await client.post("/api/auth/login/phone-password", json={"phone": form, "password": PASSWORD})
        assert response.status_code == 200, (form, response.text)
        assert response.json()["data"]["user"]["id"] == user.id


async def test_phone_otp_login(client, db):
    org = await served_org(db)
    user = await make_staff(db, org=org, role="MANAGER")
    sent = await client.post("/api/auth/send-otp", json={"phone": phones.national(user.phone)})
    assert sent.status_code == 200
    code = await last_otp(db, user.phone)
    response = await client.post("/api/auth/login/phone-otp",
                                 json={"phone": phones.national(user.phone), "otp": code})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["user"]["role"] == "MANAGER"
    again = await client.post("/api/auth/login/phone-otp", json={"phone": phones.national(user.phone), "otp": code})
    assert again.status_code == 400 and again.json()["error"]["code"] == "INVALID_OTP"


async def test_phone_login_only_finds_staff_of_the_served_organization(client, db):
    await served_org(db)
    other = await make_staff(db, org=await make_org(db, slug="another-clinic", kind="CLINIC"))
    response = await client.post("/api/auth/login/phone-password",
                                 json={"phone": phones.national(other.phone), "password": PASSWORD})
    assert response.status_code == 401


async def test_unknown_staff_phone_gets_the_same_reply_and_no_message(client, db):
    org = await served_org(db)
    known = await make_staff(db, org=org)
    unknown = next_phone()
    replies = []
    for phone in (known.phone, unknown):
        response = await client.post("/api/auth/send-otp", json={"phone": phones.national(phone)})
        replies.append((response.status_code, {k: v for k, v in response.json()["data"].items() if k != "phone"},
                        response.json()["message"]))
    assert replies[0] == replies[1]
    assert len(await otp_messages(db, known.phone)) == 1
    assert await otp_messages(db, unknown) == []


async def test_wrong_password_and_unknown_user_are_indistinguishable(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="realuser")
    wrong = await client.post("/api/auth/login/username-password", json={"username": "realuser", "password": "nope"})
    missing = await client.post("/api/auth/login/username-password", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == missing.status_code == 401
    assert wrong.json() == missing.json()
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_staff_without_password_cannot_sign_in_with_one(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="otponly", password_hash=None)
    response = await client.post("/api/auth/login/username-password", json={"username": "otponly", "password": ""})
    assert response.status_code == 422
    response = await client.post("/api/auth/login/username-password",
                                 json={"username": "otponly", "password": "anything"})
    assert response.status_code == 401


async def test_patient_is_refused_at_staff_sign_in(client, db):
    org = await served_org(db)
    patient = await make_patient(db, org=org)
    user = await db.get(User, patient.user_id)
    user.username = "patient.asha"
    user.password_hash = (await make_staff(db, org=org)).password_hash  # the shared test password
    await db.flush()
    by_name = await client.post("/api/auth/login/username-password",
                                json={"username": "patient.asha", "password": PASSWORD})
    by_phone = await client.post("/api/auth/login/phone-password",
                                 json={"phone": phones.national(patient.phone), "password": PASSWORD})
    assert by_name.status_code == 403 and by_phone.status_code == 403


async def test_inactive_staff_is_refused_after_the_password_is_checked(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="gone", is_active=False)
    right = await client.post("/api/auth/login/username-password", json={"username": "gone", "password": PASSWORD})
    wrong = await client.post("/api/auth/login/username-password", json={"username": "gone", "password": "x"})
    assert right.status_code == 403 and right.json()["error"]["code"] == "ACCOUNT_DISABLED"
    assert wrong.status_code == 401


async def test_bcrypt_hash_verifies_and_is_upgraded_to_argon2id(client, db):
    org = await served_org(db)
    legacy = bcrypt.hashpw(b"OldSecret1", bcrypt.gensalt(rounds=4)).decode()
    user = await make_staff(db, org=org, username="legacy", password_hash=legacy)
    response = await client.post("/api/auth/login/username-password",
                                 json={"username": "legacy", "password": "OldSecret1"})
    assert response.status_code == 200
    stored = (await db.execute(select(User.password_hash).where(User.id == user.id))).scalar_one()
    assert stored.startswith("$argon2id$")
    again = await client.post("/api/auth/login/username-password",
                              json={"username": "legacy", "password": "OldSecret1"})
    assert again.status_code == 200


async def test_refreshed_token_keeps_clinician_id(client, db):
    org = await served_org(db)
    centre = await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre)
    user = await db.get(User, clinician.user_id)
    user.username = "dr.meera"
    await db.flush()
    data = await staff_sign_in(client, "dr.meera")
    assert claims_of(data["accessToken"])["clinicianId"] == clinician.id
    assert data["user"]["clinicianId"] == clinician.id
    refreshed = await client.post("/api/auth/refresh", json={"refreshToken": data["refreshToken"]})
    assert refreshed.status_code == 200
    claims = claims_of(refreshed.json()["data"]["accessToken"])
    assert claims["clinicianId"] == clinician.id and claims["roles"] == ["CLINICIAN"]


async def test_failed_logins_lock_the_account_for_a_while(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="target")
    for _ in range(10):
        response = await client.post("/api/auth/login/username-password", json={"username": "target", "password": "x"})
        assert response.status_code == 401
    locked = await client.post("/api/auth/login/username-password",
                               json={"username": "target", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "RATE_LIMITED"
    assert int(locked.headers["Retry-After"]) > 0


async def test_role_change_applies_on_the_next_request(client, db):
    from clinicops.auth.models import UserRole

    org = await served_org(db)
    user = await make_staff(db, org=org, role="ADMIN", username="boss")
    data = await staff_sign_in(client, "boss")
    assert (await client.get("/api/auth/me", headers=auth(data["accessToken"]))).json()["data"]["role"] == "ADMIN"
    role = (await db.execute(select(UserRole).where(UserRole.user_id == user.id))).scalar_one()
    role.role = "FRONT_DESK"
    await db.flush()
    me = await client.get("/api/auth/me", headers=auth(data["accessToken"]))
    assert me.json()["data"]["role"] == "FRONT_DESK"


async def test_sign_in_attempts_per_ip_are_limited(db):
    from clinicops.auth import service
    from clinicops.config import get_settings
    from clinicops.errors import RateLimited

    caller = service.Client(ip="192.0.2.9")
    for _ in range(get_settings().limit("login_attempts_per_ip").count):
        await service.admit_attempt(db, caller, None)
    try:
        await service.admit_attempt(db, caller, None)
    except RateLimited as exc:
        assert exc.retry_after_s > 0
    else:
        raise AssertionError("the attempt over the limit was admitted")
    await service.admit_attempt(db, service.Client(ip="192.0.2.10"), None)  # another address is unaffected
