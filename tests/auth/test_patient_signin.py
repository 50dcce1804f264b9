"""Patient sign-in on /api/patient-auth: OTP sign-up, password, me, and the wall between patients and staff."""

from __future__ import annotations

import jwt
from sqlalchemy import select

from clinicops.auth.models import User
from clinicops.kit import phones
from clinicops.patients.models import Patient, PatientRegistration
from tests.builders.auth import auth, last_otp, patient_sign_in, served_org, staff_sign_in
from tests.builders.people import PASSWORD, make_patient, make_staff, next_phone


async def test_unknown_phone_becomes_a_patient_without_names(client, db):
    org = await served_org(db)
    phone = next_phone()
    data = await patient_sign_in(client, db, phone)
    assert data["isNewUser"] is True and data["requiresProfileCompletion"] is True
    patient = (await db.execute(select(Patient).where(Patient.phone == phone))).scalar_one()
    assert data["patient"]["id"] == patient.id and data["user"]["id"] == patient.user_id
    assert data["user"]["phone"] == phones.wire(phone) and data["patient"]["phone"] == phones.wire(phone)
    registered = (await db.execute(select(PatientRegistration).where(
        PatientRegistration.patient_id == patient.id))).scalar_one()
    assert registered.organization_id == org.id
    claims = jwt.decode(data["accessToken"], options={"verify_signature": False})
    assert claims["userType"] == "PATIENT" and claims["patientId"] == patient.id
    me = await client.get("/api/patient-auth/me", headers=auth(data["accessToken"]))
    assert me.status_code == 200 and me.json()["data"]["patient"]["id"] == patient.id


async def test_names_on_first_sign_in_complete_the_profile(client, db):
    await served_org(db)
    data = await patient_sign_in(client, db, next_phone(), firstName="Ravi", last_name="Kumar",
                                 email="ravi@example.com", age=41, gender="male")
    assert data["requiresProfileCompletion"] is False
    assert data["user"]["first_name"] == "Ravi" and data["user"]["full_name"] == "Ravi Kumar"
    assert data["patient"]["gender"] == "MALE" and data["patient"]["age"] == 41
    assert data["patient"]["email"] == "ravi@example.com"


async def test_known_patient_signs_in_and_keeps_their_details(client, db):
    org = await served_org(db)
    patient = await make_patient(db, org=org, first_name="Asha", last_name="Rao")
    for form in (phones.wire(patient.phone), patient.phone, phones.national(patient.phone)):
        await client.post("/api/patient-auth/send-otp", json={"phone": form})
        code = await last_otp(db, patient.phone)
        response = await client.post("/api/patient-auth/verify-otp",
                                     json={"phone": form, "otp": code, "first_name": "Someone"})
        assert response.status_code == 200, form
        data = response.json()["data"]
        assert data["isNewUser"] is False and data["requiresProfileCompletion"] is False
        assert data["patient"]["id"] == patient.id and data["user"]["first_name"] == "Asha"


async def test_wrong_code_is_400_never_401(client, db):
    await served_org(db)
    phone = next_phone()
    await client.post("/api/patient-auth/send-otp", json={"phone": phones.wire(phone)})
    response = await client.post("/api/patient-auth/verify-otp", json={"phone": phones.wire(phone), "otp": "abc"})
    assert response.status_code == 400
    never_sent = await client.post("/api/patient-auth/verify-otp",
                                   json={"phone": phones.wire(next_phone()), "otp": "123456"})
    assert never_sent.status_code == 400


async def test_bad_input_is_422_naming_the_field(client, db):
    await served_org(db)
    response = await client.post("/api/patient-auth/send-otp", json={"phone": "12345"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "phone"
    response = await client.post("/api/patient-auth/verify-otp",
                                 json={"phone": phones.wire(next_phone()), "otp": "123456", "gender": "robot"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "gender"


async def test_password_login_by_phone_or_username(client, db):
    org = await served_org(db)
    patient = await make_patient(db, org=org)
    user = await db.get(User, patient.user_id)
    user.username = "asha.rao"
    user.password_hash = (await make_staff(db, org=org)).password_hash
    await db.flush()
    for username in ("Asha.Rao", phones.wire(patient.phone), phones.national(patient.phone)):
        response = await client.post("/api/patient-auth/login-with-password",
                                     json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, username
        assert response.json()["data"]["patient"]["id"] == patient.id
    wrong = await client.post("/api/patient-auth/login-with-password",
                              json={"username": "asha.rao", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_staff_cannot_use_patient_password_login(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="frontdesk")
    response = await client.post("/api/patient-auth/login-with-password",
                                 json={"username": "frontdesk", "password": PASSWORD})
    assert response.status_code == 403


async def test_patient_token_is_refused_on_staff_routes(client, db):
    await served_org(db)
    data = await patient_sign_in(client, db, next_phone())
    response = await client.get("/api/auth/me", headers=auth(data["accessToken"]))
    assert response.status_code == 403


async def test_staff_token_is_refused_on_patient_routes(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="nurse")
    data = await staff_sign_in(client, "nurse")
    response = await client.get("/api/patient-auth/me", headers=auth(data["accessToken"]))
    assert response.status_code == 403


async def test_disabled_patient_cannot_sign_in(client, db):
    org = await served_org(db)
    patient = await make_patient(db, org=org)
    user = await db.get(User, patient.user_id)
    user.is_active = False
    await db.flush()
    await client.post("/api/patient-auth/send-otp", json={"phone": phones.wire(patient.phone)})
    code = await last_otp(db, patient.phone)
    response = await client.post("/api/patient-auth/verify-otp", json={"phone": phones.wire(patient.phone),
                                                                       "otp": code})
    assert response.status_code == 403 and response.json()["error"]["code"] == "ACCOUNT_DISABLED"
