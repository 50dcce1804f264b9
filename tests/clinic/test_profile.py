"""The clinic profile (6.2): the admin reads and changes their own clinic, including working days and time zone."""

from __future__ import annotations

from clinicops.organizations.models import Centre


async def test_the_admin_reads_the_profile_with_the_subscription(client, clinic_a):
    response = await client.get("/api/v1/clinics/profile", headers=clinic_a.admin.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    clinic = data["clinic"]
    assert clinic["clinicId"] == clinic_a.clinic_id and clinic["name"] == "Sunrise Clinic"
    assert clinic["status"] == "ACTIVE" and clinic["timezone"] == "Asia/Kolkata"
    assert clinic["workingDays"] == ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
    assert clinic["whatsappNumber"] == clinic_a.admin.phone
    sub = data["subscription"]
    assert (sub["plan"], sub["maxDoctors"], sub["currentDoctors"]) == ("PROFESSIONAL", 10, 2)
    assert (sub["pricePerDoctor"], sub["totalAmount"], sub["billingCycle"]) == (649, 1298, "MONTHLY")


async def test_each_admin_sees_their_own_clinic(client, clinics):
    a, b = clinics
    for clinic in clinics:
        data = (await client.get("/api/v1/clinics/profile", headers=clinic.admin.headers)).json()["data"]
        assert data["clinic"]["clinicId"] == clinic.clinic_id
    assert a.clinic_id != b.clinic_id


async def test_doctors_may_not_read_or_change_the_profile(client, clinic_a):
    doctor = clinic_a.doctors[0]
    assert (await client.get("/api/v1/clinics/profile", headers=doctor.headers)).status_code == 403
    response = await client.put("/api/v1/clinics/profile", headers=doctor.headers, json={"name": "Mine now"})
    assert response.status_code == 403


async def test_the_admin_updates_the_profile(client, db, clinic_a):
    response = await client.put("/api/v1/clinics/profile", headers=clinic_a.admin.headers, json={
        "name": "Updated Medical Center", "address": "456 New Street, Pune", "phone": "+919876543211",
        "whatsappNumber": "9876543211", "workingDays": ["MONDAY", "SATURDAY", "MONDAY"],
        "timezone": "Asia/Dubai"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Clinic profile updated successfully"
    data = body["data"]
    assert data | {"updatedAt": None} == {
        "clinicId": clinic_a.clinic_id, "name": "Updated Medical Center", "address": "456 New Street, Pune",
        "phone": "+919876543211", "whatsappNumber": "+919876543211", "workingDays": ["MONDAY", "SATURDAY"],
        "timezone": "Asia/Dubai", "updatedAt": None}
    centre = await db.get(Centre, clinic_a.centre.id)
    await db.refresh(centre)
    assert (centre.name, centre.timezone, centre.city) == ("Updated Medical Center", "Asia/Dubai", "pune")
    # only what is sent changes
    response = await client.put("/api/v1/clinics/profile", headers=clinic_a.admin.headers, json={"name": "Again"})
    assert response.json()["data"]["timezone"] == "Asia/Dubai"


async def test_bad_profile_updates_name_the_field_and_change_nothing(client, clinic_a):
    headers = clinic_a.admin.headers
    for body, field in (({"timezone": "Mars/Olympus"}, "timezone"),
                        ({"workingDays": ["FUNDAY"]}, "workingDays.0"),
                        ({"workingDays": []}, "workingDays"),
                        ({"whatsappNumber": "123"}, "whatsappNumber"),
                        ({"whatsappNumber": None}, "whatsappNumber"),
                        ({"name": ""}, "name"),
                        ({"name": None}, "name"),
                        ({"timezone": None}, "timezone"),
                        ({"workingDays": None}, "workingDays"),
                        ({"status": "CLOSED"}, "status"),
                        ({"clinicId": "clinic_1"}, "clinicId")):
        response = await client.put("/api/v1/clinics/profile", headers=headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"][0]["field"] == field, response.text
    data = (await client.get("/api/v1/clinics/profile", headers=headers)).json()["data"]["clinic"]
    assert data["timezone"] == "Asia/Kolkata" and data["name"] == "Sunrise Clinic"
