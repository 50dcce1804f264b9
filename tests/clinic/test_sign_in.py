"""Clinic sign-in (6.1): two-step login, the clinic a login names, refresh rotation, logout, password reset."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from clinicops.auth.models import OtpRequest
from clinicops.auth.tokens import CLINIC_ID_PREFIXES, decode_access_token
from clinicops.config import get_settings
from clinicops.http.clinic import ids
from tests.builders.auth import last_otp, otp_messages
from tests.builders.clinic import add_doctor, bearer, clinic_login, make_clinic
from tests.builders.people import PASSWORD, next_phone


async def _start(client, clinic_id: str, phone: str) -> dict:
    response = await client.post("/api/v1/auth/clinic/login", json={"whatsappNumber": phone, "clinicId": clinic_id})
    assert response.status_code == 200, response.text
    return response.json()


async def _verify(client, request_id: str, otp: str, password: str = PASSWORD):
    return await client.post("/api/v1/auth/clinic/verify-login",
                             json={"loginRequestId": request_id, "otp": otp, "password": password})


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_an_admin_signs_in_in_two_steps(client, db, clinic_a):
    phone = clinic_a.admin.phone
    started = await _start(client, clinic_a.clinic_id, phone)
    assert started["message"] == "Login OTP sent to WhatsApp"
    data = started["data"]
    assert data["loginRequestId"].startswith("login_req_") and data["otpExpiresIn"] == 600
    national = phone[3:]
    assert data["maskedNumber"] == f"+91{national[:3]}****{national[-3:]}"
    response = await _verify(client, data["loginRequestId"], await last_otp(db, phone))
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert body["user"] | {"permissions": None} == {
        "userId": clinic_a.admin.user_id, "name": clinic_a.admin.user.full_name, "whatsappNumber": phone,
        "role": "ADMIN", "clinicId": clinic_a.clinic_id, "doctorId": None, "permissions": None,
        "patientAccessScope": "CLINIC_ALL", "mustChangePassword": False}
    assert "manage_doctors" in body["user"]["permissions"]
    assert body["clinic"] == {"clinicId": clinic_a.clinic_id, "name": clinic_a.org.name}
    me = await client.get("/api/v1/clinics/profile", headers=bearer(body["accessToken"]))
    assert me.status_code == 200


async def test_a_doctors_token_carries_the_claims_of_section_3_2(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    data = await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=doctor.phone)
    assert data["user"]["role"] == "DOCTOR" and data["user"]["doctorId"] == doctor.doctor_id
    claims = decode_access_token(get_settings(), data["accessToken"]).raw
    assert {k: claims[k] for k in ("user_id", "clinic_id", "whatsapp_number", "doctor_id", "role",
                                   "patient_access_scope")} == {
        "user_id": doctor.user_id, "clinic_id": clinic_a.clinic_id, "whatsapp_number": doctor.phone,
        "doctor_id": doctor.doctor_id, "role": "DOCTOR", "patient_access_scope": "DOCTOR_OWN"}
    assert "view_own_patients" in claims["permissions"] and "view_subscription" not in claims["permissions"]
    # the hospital surface's claims are still there
    assert claims["userId"] == doctor.user.id and claims["clinicianId"] == doctor.clinician.id


def test_the_token_spells_ids_as_the_surface_does():
    assert CLINIC_ID_PREFIXES == {"user": ids.USER, "clinic": ids.CLINIC, "doctor": ids.DOCTOR}


async def test_a_number_that_is_not_staff_gets_the_same_answer_and_no_code(client, db, clinic_a):
    stranger = next_phone()
    known = await _start(client, clinic_a.clinic_id, clinic_a.admin.phone)
    unknown = await _start(client, clinic_a.clinic_id, stranger)
    assert known.keys() == unknown.keys() and known["message"] == unknown["message"]
    assert known["data"].keys() == unknown["data"].keys()
    assert await otp_messages(db, stranger) == []
    response = await _verify(client, unknown["data"]["loginRequestId"], "123456")
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"


async def test_a_login_must_name_the_users_own_clinic(client, db, clinics):
    a, b = clinics
    started = await _start(client, b.clinic_id, a.admin.phone)  # clinic A's admin at clinic B
    assert await otp_messages(db, a.admin.phone) == []
    response = await _verify(client, started["data"]["loginRequestId"], "123456")
    assert response.status_code == 400
    unknown_clinic = await client.post("/api/v1/auth/clinic/login", json={
        "whatsappNumber": a.admin.phone, "clinicId": "clinic_999999999"})
    assert unknown_clinic.status_code == 404
    assert unknown_clinic.json()["error"]["details"][0]["field"] == "clinicId"
    wrong_kind = await client.post("/api/v1/auth/clinic/login", json={
        "whatsappNumber": a.admin.phone, "clinicId": a.doctors[0].doctor_id})
    assert wrong_kind.status_code == 404


async def test_the_same_number_is_staff_of_two_clinics_and_signs_in_to_each(client, db):
    phone = next_phone()
    first = await make_clinic(db, admin_phone=phone, doctors=0)
    second = await make_clinic(db, doctors=0)
    await add_doctor(db, second, phone=phone)
    # a code serves only the newest request of its number: the first clinic's request cannot take the second's
    first_request = (await _start(client, first.clinic_id, phone))["data"]["loginRequestId"]
    second_request = (await _start(client, second.clinic_id, phone))["data"]["loginRequestId"]
    code = await last_otp(db, phone)
    assert (await _verify(client, first_request, code)).status_code == 400
    at_second = (await _verify(client, second_request, code)).json()["data"]
    at_first = await clinic_login(client, db, clinic_id=first.clinic_id, phone=phone)
    assert (at_first["user"]["clinicId"], at_first["user"]["role"]) == (first.clinic_id, "ADMIN")
    assert (at_second["user"]["clinicId"], at_second["user"]["role"]) == (second.clinic_id, "DOCTOR")
    assert at_first["user"]["userId"] != at_second["user"]["userId"]
    assert at_second["user"]["doctorId"] == second.doctors[0].doctor_id


async def test_wrong_and_expired_codes_are_refused(client, db, clinic_a):
    phone = clinic_a.admin.phone
    request_id = (await _start(client, clinic_a.clinic_id, phone))["data"]["loginRequestId"]
    code = await last_otp(db, phone)
    response = await _verify(client, request_id, _wrong(code))
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"
    await db.execute(update(OtpRequest).where(OtpRequest.phone == phone)
                     .values(expires_at=OtpRequest.expires_at - timedelta(hours=1)))
    response = await _verify(client, request_id, code)
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"


async def test_five_wrong_codes_kill_the_code(client, db, clinic_a):
    phone = clinic_a.admin.phone
    request_id = (await _start(client, clinic_a.clinic_id, phone))["data"]["loginRequestId"]
    code = await last_otp(db, phone)
    for _ in range(5):
        assert (await _verify(client, request_id, _wrong(code))).status_code == 400
    assert (await _verify(client, request_id, code)).status_code == 400


async def test_a_wrong_password_is_401_and_spends_the_code(client, db, clinic_a):
    phone = clinic_a.admin.phone
    request_id = (await _start(client, clinic_a.clinic_id, phone))["data"]["loginRequestId"]
    code = await last_otp(db, phone)
    response = await _verify(client, request_id, code, password="not-the-password")
    assert response.status_code == 401 and response.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert (await _verify(client, request_id, code)).status_code == 400


async def test_bad_bodies_name_the_field(client, clinic_a):
    for body, field in (({"whatsappNumber": clinic_a.admin.phone, "clinicId": clinic_a.clinic_id, "role": "ADMIN"},
                         "role"),
                        ({"whatsappNumber": "98765", "clinicId": clinic_a.clinic_id}, "whatsappNumber"),
                        ({"whatsappNumber": clinic_a.admin.phone}, "clinicId")):
        response = await client.post("/api/v1/auth/clinic/login", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["field"] == field
    response = await client.post("/api/v1/auth/clinic/verify-login",
                                 json={"loginRequestId": "login_req_1", "otp": 123456, "password": "x"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "otp"


async def test_refresh_rotates_and_a_reused_token_ends_the_session(client, db, clinic_a):
    signed_in = await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=clinic_a.admin.phone)
    first = signed_in["refreshToken"]
    response = await client.post("/api/v1/auth/refresh", json={"refreshToken": first})
    assert response.status_code == 200, response.text
    second = response.json()["data"]
    assert second["refreshToken"] != first
    claims = decode_access_token(get_settings(), second["accessToken"]).raw
    assert claims["clinic_id"] == clinic_a.clinic_id and claims["role"] == "ADMIN"
    assert (await client.get("/api/v1/clinics/profile", headers=bearer(second["accessToken"]))).status_code == 200

    reused = await client.post("/api/v1/auth/refresh", json={"refreshToken": first})
    assert reused.status_code == 401
    # the whole family is gone: the newest refresh token and every access token of the session
    assert (await client.post("/api/v1/auth/refresh", json={"refreshToken": second["refreshToken"]})).status_code == 401
    for token in (signed_in["accessToken"], second["accessToken"]):
        assert (await client.get("/api/v1/clinics/profile", headers=bearer(token))).status_code == 401
    # another session of the same user is untouched
    assert (await client.get("/api/v1/clinics/profile", headers=clinic_a.admin.headers)).status_code == 200


async def test_a_hospital_refresh_token_is_not_a_clinic_one(client, db, clinic_a):
    response = await client.post("/api/v1/auth/refresh", json={"refreshToken": "not-a-token"})
    assert response.status_code == 401


async def test_logout_ends_the_session(client, db, clinic_a):
    signed_in = await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=clinic_a.admin.phone)
    headers = bearer(signed_in["accessToken"])
    response = await client.post("/api/v1/auth/logout", json={"refreshToken": signed_in["refreshToken"]},
                                 headers=headers)
    assert response.status_code == 200 and response.json()["message"] == "Logged out successfully"
    assert (await client.get("/api/v1/clinics/profile", headers=headers)).status_code == 401
    refreshed = await client.post("/api/v1/auth/refresh", json={"refreshToken": signed_in["refreshToken"]})
    assert refreshed.status_code == 401
    assert (await client.post("/api/v1/auth/logout", json={})).status_code == 401


async def test_forgot_and_reset_password_by_code(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    response = await client.post("/api/v1/auth/forgot-password",
                                 json={"whatsappNumber": doctor.phone, "clinicId": clinic_a.clinic_id})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["resetRequestId"].startswith("reset_req_") and data["maskedNumber"].count("*") == 4
    response = await client.post("/api/v1/auth/reset-password", json={
        "resetRequestId": data["resetRequestId"], "otp": await last_otp(db, doctor.phone),
        "newPassword": "brand-new-pass-1"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["userId"] == doctor.user_id
    # the sessions opened with the old password are over; the new password signs in
    assert (await client.get("/api/v1/clinics/profile", headers=doctor.headers)).status_code == 401
    await clinic_login(client, db, clinic_id=clinic_a.clinic_id, phone=doctor.phone, password="brand-new-pass-1")


async def test_a_reset_request_is_not_a_login_request(client, db, clinic_a):
    phone = clinic_a.admin.phone
    response = await client.post("/api/v1/auth/forgot-password",
                                 json={"whatsappNumber": phone, "clinicId": clinic_a.clinic_id})
    reset_id = response.json()["data"]["resetRequestId"]
    as_login = "login_req_" + reset_id.removeprefix("reset_req_")
    assert (await _verify(client, as_login, await last_otp(db, phone))).status_code == 404
    short = await client.post("/api/v1/auth/reset-password", json={
        "resetRequestId": reset_id, "otp": await last_otp(db, phone), "newPassword": "short"})
    assert short.status_code == 422 and short.json()["error"]["details"][0]["field"] == "newPassword"


async def test_codes_are_rate_limited_per_number(client, clinic_a):
    body = {"whatsappNumber": clinic_a.admin.phone, "clinicId": clinic_a.clinic_id}
    for _ in range(3):  # CLINICOPS_OTP_SENDS_PER_PHONE: 3 in 10 minutes
        assert (await client.post("/api/v1/auth/clinic/login", json=body)).status_code == 200
    limited = await client.post("/api/v1/auth/forgot-password", json=body)
    assert limited.status_code == 429 and "Retry-After" in limited.headers


async def test_a_deactivated_member_gets_no_code(client, db, clinic_a):
    doctor = clinic_a.doctors[1]
    doctor.user.is_active = False
    await db.flush()
    started = await _start(client, clinic_a.clinic_id, doctor.phone)
    assert started["data"]["loginRequestId"].startswith("login_req_")
    assert await otp_messages(db, doctor.phone) == []
