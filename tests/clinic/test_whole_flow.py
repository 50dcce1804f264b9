"""The whole clinic flow through HTTP, from nothing: register → verify → add doctors up to the plan's limit →
upgrade → a new doctor's first sign-in and password change → patient → association → visit → diagnosis,
prescription and private note — and what another clinic sees of it (nothing)."""

from __future__ import annotations

from tests.builders.auth import last_otp
from tests.builders.clinic import bearer, clinic_login
from tests.builders.people import next_phone

DOCTOR = {"specialization": "General Medicine", "consultationFee": 500, "advanceAmount": 50, "dailyLimit": 30,
          "consultationDuration": 15, "startTime": "09:00", "endTime": "17:00", "lunchBreak": "13:00-14:00",
          "initialPassword": "temporaryPassword123"}


async def _register_and_verify(client, db, *, name: str, plan: str) -> tuple[str, dict[str, str]]:
    phone = next_phone()
    registered = await client.post("/api/v1/auth/clinic/register", json={
        "clinicName": name, "address": "12 Hill Road, Mumbai", "whatsappNumber": phone,
        "adminName": "Dr. Admin", "subscriptionPlan": plan})
    assert registered.status_code == 201, registered.text
    verified = await client.post("/api/v1/auth/clinic/verify-registration", json={
        "registrationId": registered.json()["data"]["registrationId"], "otp": await last_otp(db, phone),
        "password": "admin-pass-123"})
    assert verified.status_code == 200, verified.text
    data = verified.json()["data"]
    return data["clinic"]["clinicId"], bearer(data["accessToken"])


async def _first_sign_in(client, db, clinic_id: str, phone: str) -> dict[str, str]:
    """A new doctor's first sign-in with the temporary password, and the change it requires."""
    signed_in = await clinic_login(client, db, clinic_id=clinic_id, phone=phone, password="temporaryPassword123")
    changed = await client.post("/api/v1/auth/change-password", headers=bearer(signed_in["accessToken"]), json={
        "currentPassword": "temporaryPassword123", "newPassword": "my-own-pass-123"})
    assert changed.status_code == 200, changed.text
    return bearer(changed.json()["data"]["accessToken"])


async def test_from_registration_to_a_private_visit_record(client, db):
    clinic_id, admin = await _register_and_verify(client, db, name="Hilltop Clinic", plan="BASIC")

    # BASIC allows three doctors; the fourth is refused naming the plan and its limit
    doctors = []
    for n in range(3):
        phone = next_phone()
        added = await client.post("/api/v1/doctors", headers=admin,
                                  json={**DOCTOR, "name": f"Dr. Number {n}", "whatsappNumber": phone})
        assert added.status_code == 201, added.text
        doctors.append((added.json()["data"]["doctor"]["doctorId"], phone))
    fourth = {**DOCTOR, "name": "Dr. Fourth", "whatsappNumber": next_phone()}
    refused = await client.post("/api/v1/doctors", headers=admin, json=fourth)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "PLAN_LIMIT_REACHED"
    assert "BASIC" in refused.json()["message"] and "3" in refused.json()["message"]

    upgraded = await client.post("/api/v1/clinics/subscription/upgrade", headers=admin,
                                 json={"newPlan": "PROFESSIONAL"})
    assert upgraded.status_code == 200, upgraded.text
    assert (await client.post("/api/v1/doctors", headers=admin, json=fourth)).status_code == 201
    profile = (await client.get("/api/v1/clinics/profile", headers=admin)).json()["data"]
    assert (profile["subscription"]["plan"], profile["subscription"]["currentDoctors"]) == ("PROFESSIONAL", 4)

    # the first doctor signs in with the temporary password and must change it before anything else
    doctor_id, doctor_phone = doctors[0]
    first = await clinic_login(client, db, clinic_id=clinic_id, phone=doctor_phone, password="temporaryPassword123")
    assert first["user"]["mustChangePassword"] is True and first["user"]["doctorId"] == doctor_id
    pending = bearer(first["accessToken"])
    patient_phone = next_phone()
    blocked = await client.post("/api/v1/patients", headers=pending, json={"phone": patient_phone, "name": "Ravi"})
    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    changed = await client.post("/api/v1/auth/change-password", headers=pending, json={
        "currentPassword": "temporaryPassword123", "newPassword": "doctor-own-pass-1"})
    assert changed.status_code == 200, changed.text
    doctor = bearer(changed.json()["data"]["accessToken"])

    # patient → association → visit → diagnosis, prescription, private note
    made = await client.post("/api/v1/patients", headers=doctor, json={"phone": patient_phone, "name": "Ravi Rao"})
    assert made.status_code == 201, made.text
    linked = await client.post(f"/api/v1/doctors/{doctor_id}/patients", headers=doctor,
                               json={"patientPhone": patient_phone, "patientName": "Ravi Rao"})
    assert linked.status_code == 201, linked.text
    patient_id = linked.json()["data"]["patientId"]
    visit = await client.post(f"/api/v1/doctors/{doctor_id}/patients/{patient_id}/visits", headers=doctor,
                              json={"chiefComplaint": "Fever for three days"})
    assert visit.status_code == 201, visit.text
    visit_id = visit.json()["data"]["visitId"]
    for path, body in (("diagnosis", {"diagnosis": "Viral fever", "icd10Code": "B34.9", "severity": "MILD"}),
                       ("prescription", {"medications": [{"name": "Paracetamol", "strength": "500mg",
                                                          "frequency": "Thrice daily", "duration": "3 days",
                                                          "instructions": "After food"}]}),
                       ("notes", {"privateNotes": "Worried about missing exams", "isConfidential": True})):
        answer = await client.post(f"/api/v1/visits/{visit_id}/{path}", headers=doctor, json=body)
        assert answer.status_code in (200, 201), (path, answer.text)

    # the clinic admin sees the record, private note included; another doctor of the clinic does not
    as_admin = (await client.get(f"/api/v1/visits/{visit_id}", headers=admin)).json()["data"]["visit"]
    assert as_admin["privateNotes"] == "Worried about missing exams" and as_admin["icd10Code"] == "B34.9"
    other_id, other_phone = doctors[1]
    other = await _first_sign_in(client, db, clinic_id, other_phone)
    assert (await client.get(f"/api/v1/visits/{visit_id}", headers=other)).status_code == 404
    assert (await client.get(f"/api/v1/doctors/{doctor_id}/patients/{patient_id}", headers=other)).status_code == 404

    # another clinic: nothing of it, also by guessing ids
    _, stranger = await _register_and_verify(client, db, name="Faraway Clinic", plan="PROFESSIONAL")
    for path in (f"/api/v1/visits/{visit_id}", f"/api/v1/patients/{patient_id}", f"/api/v1/doctors/{doctor_id}",
                 f"/api/v1/doctors/{doctor_id}/patients/{patient_id}/visits"):
        assert (await client.get(path, headers=stranger)).status_code == 404, path
    assert other_id != doctor_id
