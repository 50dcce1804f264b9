"""Older paths of the chain's first backend answer exactly like their documented paths."""

from __future__ import annotations

from tests.builders.payments import make_appointment
from tests.builders.people import bearer


async def test_patient_dashboard_aliases_answer_like_the_portal(client, db, clinic):
    headers = bearer(clinic.patient_user)
    canonical = await client.get("/api/patient/profile", headers=headers)
    alias = await client.get("/api/patient-dashboard/profile", headers=headers)
    assert canonical.status_code == alias.status_code == 200
    assert alias.json()["data"] == canonical.json()["data"]
    assert (await client.get("/api/patient-dashboard/appointments")).status_code == 401


async def test_payment_singular_alias_creates_an_order(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    response = await client.post("/api/payment/create-order", headers=bearer(clinic.patient_user),
                                 json={"appointmentId": appointment.id})
    assert response.status_code in (200, 201), response.text
    assert response.json()["data"]["orderId"].startswith("order_")


async def test_aliases_stay_out_of_the_schema(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/payments/create-order" in paths and "/api/payment/create-order" not in paths
