"""Registering a clinic (6.1): a code to the admin's WhatsApp, then code + password → ACTIVE, admin signed in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from clinicops.auth.models import SignInRequest
from clinicops.auth.tokens import decode_access_token
from clinicops.config import get_settings
from clinicops.organizations.models import Organization, Subscription
from tests.builders.auth import last_otp, otp_messages
from tests.builders.clinic import bearer
from tests.builders.people import next_phone

PASSWORD = "clinic-pass-123"


def _registration(phone: str, **overrides) -> dict:
    return {"clinicName": "City Medical Center", "address": "123 Main St, Mumbai", "whatsappNumber": phone,
            "adminName": "Dr. Admin Sharma", "subscriptionPlan": "PROFESSIONAL", **overrides}


async def _register(client, phone: str, **overrides) -> dict:
    response = await client.post("/api/v1/auth/clinic/register", json=_registration(phone, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_then_verify_activates_the_clinic_and_signs_the_admin_in(client, db):
    phone = next_phone()
    body = await _register(client, phone)
    data = body["data"]
    assert body["message"] == "Clinic registered successfully. OTP sent to WhatsApp."
    assert data["clinicId"].startswith("clinic_") and data["registrationId"].startswith("reg_")
    assert data["otpExpiresIn"] == 600
    clinic_id = int(data["clinicId"].removeprefix("clinic_"))
    clinic = await db.get(Organization, clinic_id)
    assert (clinic.kind, clinic.status, clinic.whatsapp_number) == ("CLINIC", "PENDING", phone)
    sub = (await db.execute(select(Subscription).where(Subscription.organization_id == clinic_id))).scalar_one()
    assert (sub.plan, sub.price_per_doctor_paise, sub.max_doctors) == ("PROFESSIONAL", 649_00, 10)

    response = await client.post("/api/v1/auth/clinic/verify-registration", json={
        "registrationId": data["registrationId"], "otp": await last_otp(db, phone), "password": PASSWORD})
    assert response.status_code == 200, response.text
    done = response.json()["data"]
    assert done["clinic"] == {"clinicId": data["clinicId"], "name": "City Medical Center", "status": "ACTIVE"}
    assert done["adminUser"]["role"] == "ADMIN" and done["adminUser"]["userId"].startswith("usr_")
    claims = decode_access_token(get_settings(), done["accessToken"]).raw
    assert claims["clinic_id"] == data["clinicId"] and claims["role"] == "ADMIN"
    assert claims["patient_access_scope"] == "CLINIC_ALL" and claims["doctor_id"] is None

    profile = await client.get("/api/v1/clinics/profile", headers=bearer(done["accessToken"]))
    assert profile.status_code == 200, profile.text
    assert profile.json()["data"]["clinic"]["status"] == "ACTIVE"


async def test_a_pending_clinic_cannot_be_signed_in_to(client, db):
    phone = next_phone()
    data = (await _register(client, phone))["data"]
    response = await client.post("/api/v1/auth/clinic/login",
                                 json={"whatsappNumber": phone, "clinicId": data["clinicId"]})
    assert response.status_code == 403
    assert response.json()["error"]["details"][0]["field"] == "clinicId"


async def test_a_wrong_or_expired_code_changes_nothing(client, db):
    phone = next_phone()
    data = (await _register(client, phone))["data"]
    code = await last_otp(db, phone)
    wrong = "000000" if code != "000000" else "111111"
    body = {"registrationId": data["registrationId"], "otp": wrong, "password": PASSWORD}
    response = await client.post("/api/v1/auth/clinic/verify-registration", json=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"
    clinic = await db.get(Organization, int(data["clinicId"].removeprefix("clinic_")))
    await db.refresh(clinic)
    assert clinic.status == "PENDING"

    await db.execute(update(SignInRequest).where(
        SignInRequest.id == int(data["registrationId"].removeprefix("reg_")))
        .values(expires_at=SignInRequest.expires_at - timedelta(hours=1)))
    response = await client.post("/api/v1/auth/clinic/verify-registration", json={**body, "otp": code})
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"


async def test_a_registration_is_verified_once(client, db):
    phone = next_phone()
    data = (await _register(client, phone))["data"]
    body = {"registrationId": data["registrationId"], "otp": await last_otp(db, phone), "password": PASSWORD}
    assert (await client.post("/api/v1/auth/clinic/verify-registration", json=body)).status_code == 200
    again = await client.post("/api/v1/auth/clinic/verify-registration", json=body)
    assert again.status_code == 400


async def test_bad_registrations_are_refused_naming_the_field_and_nothing_is_sent(client, db):
    phone = next_phone()
    for overrides, field in (({"subscriptionPlan": "GOLD"}, "subscriptionPlan"),
                             ({"whatsappNumber": "12345"}, "whatsappNumber"),
                             ({"clinicName": ""}, "clinicName"),
                             ({"isAdmin": True}, "isAdmin"),
                             ({"clinic_name": "x"}, "clinic_name")):
        response = await client.post("/api/v1/auth/clinic/register", json=_registration(phone, **overrides))
        assert response.status_code == 422, (overrides, response.text)
        assert field in {d["field"] for d in response.json()["error"]["details"]}, response.text
    assert await otp_messages(db, phone) == []


async def test_ids_of_another_kind_are_not_found(client, db):
    phone = next_phone()
    data = (await _register(client, phone))["data"]
    number = data["registrationId"].removeprefix("reg_")
    for wrong in (f"login_req_{number}", f"pat_{number}", number, "reg_999999999"):
        response = await client.post("/api/v1/auth/clinic/verify-registration", json={
            "registrationId": wrong, "otp": await last_otp(db, phone), "password": PASSWORD})
        assert response.status_code == 404, (wrong, response.text)


async def test_the_same_number_may_register_two_clinics(client, db):
    phone = next_phone()
    first = (await _register(client, phone, clinicName="First Clinic"))["data"]
    second = (await _register(client, phone, clinicName="Second Clinic"))["data"]
    assert first["clinicId"] != second["clinicId"]
    # only the newest code is live: the first registration must ask again
    body = {"registrationId": first["registrationId"], "otp": await last_otp(db, phone), "password": PASSWORD}
    assert (await client.post("/api/v1/auth/clinic/verify-registration", json=body)).status_code == 400
    body["registrationId"] = second["registrationId"]
    assert (await client.post("/api/v1/auth/clinic/verify-registration", json=body)).status_code == 200
