"""The demo clinic as the README walks it with curl: sign in by WhatsApp OTP + password, its two doctors, patients
with visit history (diagnosis, prescription, a private note), its invoices, and a patient's record export."""

from __future__ import annotations

from sqlalchemy import select

from clinicops.organizations.models import Organization
from clinicops.seed import catalog, demo


async def _sign_in(client, clinic_id: str, phone: str) -> dict[str, str]:
    started = await client.post("/api/v1/auth/clinic/login", json={"whatsappNumber": phone, "clinicId": clinic_id})
    assert started.status_code == 200, started.text
    messages = (await client.get("/api/dev/messages", params={"phone": phone})).json()["data"]
    otp = messages[0]["params"]["otp"]
    verified = await client.post("/api/v1/auth/clinic/verify-login", json={
        "loginRequestId": started.json()["data"]["loginRequestId"], "otp": otp, "password": catalog.DEMO_PASSWORD})
    assert verified.status_code == 200, verified.text
    return {"Authorization": f"Bearer {verified.json()['data']['accessToken']}"}


async def test_the_demo_clinic_walk(client, db):
    await demo.load(db, scale=1)
    clinic = await db.scalar(select(Organization).where(Organization.slug == catalog.CLINIC_SLUG))
    clinic_id = f"clinic_{clinic.id}"
    assert f"clinicId {clinic_id}" in demo.logins_text(clinic.id)
    admin = await _sign_in(client, clinic_id, "+91" + catalog.CLINIC_ADMIN.phone)

    doctors = (await client.get("/api/v1/doctors", headers=admin)).json()["data"]["doctors"]
    assert sorted(d["name"] for d in doctors) == sorted(d.full_name for d in catalog.CLINIC_DOCTORS)
    anil = next(d["doctorId"] for d in doctors if d["name"] == "Dr. Anil Deshpande")
    assert all(d["workingDays"] and d["startTime"] and d["endTime"] for d in doctors)

    mine = (await client.get(f"/api/v1/doctors/{anil}/patients", headers=admin)).json()["data"]
    assert mine["totalCount"] > 0
    seen = next(p for p in mine["patients"] if p["totalVisits"] > 0)
    found = (await client.get("/api/v1/patients/search", params={"name": seen["name"][:3]},
                              headers=admin)).json()["data"]
    assert seen["patientId"] in [p["patientId"] for p in found["patients"]]

    history = (await client.get(f"/api/v1/doctors/{anil}/patients/{seen['patientId']}/visits",
                                headers=admin)).json()["data"]
    assert history["visits"] and all(v["diagnosis"] and v["prescription"] for v in history["visits"])
    visit = (await client.get(f"/api/v1/visits/{history['visits'][0]['visitId']}", headers=admin)).json()
    assert visit["data"]["visit"]["status"] == "COMPLETED", visit

    invoices = (await client.get("/api/v1/clinics/invoices", headers=admin)).json()["data"]
    assert sorted(i["status"] for i in invoices) == ["OPEN", "PAID"]

    export = await client.get(f"/api/v1/patients/{seen['patientId']}/export", headers=admin)
    assert export.status_code == 200 and export.json()["data"]["visits"]

    doctor = await _sign_in(client, clinic_id, "+91" + catalog.CLINIC_DOCTORS[0].phone)
    own = (await client.get(f"/api/v1/doctors/{anil}/patients", headers=doctor)).json()["data"]
    assert own["totalCount"] == mine["totalCount"]
    priya = next(d["doctorId"] for d in doctors if d["doctorId"] != anil)
    assert (await client.get(f"/api/v1/doctors/{priya}/patients", headers=doctor)).status_code == 404
