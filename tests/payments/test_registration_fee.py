"""The registration fee the patient website shows is the fee create-order charges: due once, then 0.

The website adds ``registrationFee`` from GET /api/payments/registration-fee-status to the consultation fee, shows
that total and charges it; a returning patient was once shown ₹1300 and charged ₹1200.
"""

from __future__ import annotations

from clinicops.config import get_settings
from clinicops.patients.models import Patient
from tests.builders.auth import auth, patient_sign_in
from tests.builders.payments import make_appointment, make_desk_user, rzp_hmac
from tests.builders.people import bearer, next_phone

FEE_PAISE = 250_00  # not the default (₹100): the configured fee is what is due


async def _status(client, headers, **params) -> dict:
    response = await client.get("/api/payments/registration-fee-status", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _pay(client, headers, appointment_id: int) -> dict:
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment_id},
                                 headers=headers)
    assert response.status_code == 201, response.text
    order = response.json()["data"]
    signature = rzp_hmac(get_settings().razorpay_key_secret, f"{order['orderId']}|pay_REGFEETEST00001")
    verified = await client.post("/api/payments/verify", headers=headers, json={
        "appointmentId": appointment_id, "razorpayOrderId": order["orderId"],
        "razorpayPaymentId": "pay_REGFEETEST00001", "razorpaySignature": signature})
    assert verified.status_code == 200, verified.text
    return order


async def test_a_new_patient_owes_the_fee_once_and_the_order_charges_what_is_shown(client, db, clinic):
    clinic.org.registration_fee_paise = FEE_PAISE  # the organization's own fee
    await db.flush()
    signed_in = await patient_sign_in(client, db, next_phone())
    headers = auth(signed_in["accessToken"])
    patient = await db.get(Patient, signed_in["patient"]["id"])
    consultation = clinic.clinician.consultation_fee_paise / 100

    status = await _status(client, headers)
    assert status["hasPaidRegistrationFee"] is False and status["registrationFee"] == FEE_PAISE / 100
    first = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                   patient=patient)
    order = await _pay(client, headers, first.id)
    assert order["registrationFee"] == status["registrationFee"]
    assert order["amount"] == (consultation + status["registrationFee"]) * 100  # the website's total, in paise

    status = await _status(client, headers)
    assert status["hasPaidRegistrationFee"] is True and status["registrationFee"] == 0
    assert status["registrationFeeDue"] == 0 and status["paidAt"]
    second = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                    patient=patient)
    response = await client.post("/api/payments/create-order", json={"appointmentId": second.id}, headers=headers)
    assert response.status_code == 201, response.text
    again = response.json()["data"]
    assert again["amount"] == (consultation + status["registrationFee"]) * 100 == consultation * 100
    assert again["registrationFee"] == 0 and again["consultationFee"] == consultation


async def test_staff_read_the_fee_due_of_a_patient_in_their_organization(client, db, clinic):
    desk = await make_desk_user(db, clinic)
    status = await _status(client, bearer(desk), patientId=clinic.patient.id)
    assert status["hasPaidRegistrationFee"] is False
    assert status["registrationFee"] == clinic.org.registration_fee_paise / 100
    for params, field in (({}, "patientId"), ({"patientId": "abc"}, "patientId")):
        response = await client.get("/api/payments/registration-fee-status", headers=bearer(desk), params=params)
        assert response.status_code == 422, response.text
        assert field in [d["field"] for d in response.json()["error"]["details"]]
