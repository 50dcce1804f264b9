"""The Razorpay adapter against a fake of Razorpay's HTTP API (respx): request formats and failures."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.payments import reconciliation
from clinicops.db import unit_of_work
from clinicops.payments.models import Payment
from tests.builders.payments import make_appointment, make_desk_user, rzp_payment
from tests.builders.people import bearer


def _basic(request: httpx.Request) -> tuple[str, str]:
    scheme, _, value = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    key_id, _, secret = base64.b64decode(value).decode().partition(":")
    return key_id, secret


def _order_reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(200, json={"id": "order_RzpFake0000001", "entity": "order", "amount": body["amount"],
                                     "amount_paid": 0, "amount_due": body["amount"], "currency": body["currency"],
                                     "receipt": body["receipt"], "status": "created", "attempts": 0,
                                     "notes": body.get("notes", {}), "created_at": 1700000000})


async def test_create_order_sends_razorpays_format(client, db, clinic, razorpay):
    route = razorpay.post("/orders").mock(side_effect=_order_reply)
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                                 headers=bearer(clinic.patient_user))
    assert response.status_code == 201, response.text
    sent = json.loads(route.calls.last.request.content)
    expected = clinic.clinician.consultation_fee_paise + clinic.org.registration_fee_paise
    assert sent["amount"] == expected and isinstance(sent["amount"], int)
    assert sent["currency"] == "INR"
    assert sent["receipt"] and len(sent["receipt"]) <= 40
    assert sent["notes"]["appointment_id"] == str(appointment.id)
    assert _basic(route.calls.last.request) == ("rzp_test_K3yId0000001", "test-key-secret-for-razorpay")
    data = response.json()["data"]
    assert (data["orderId"], data["amount"], data["razorpayKeyId"]) == ("order_RzpFake0000001", expected,
                                                                        "rzp_test_K3yId0000001")


async def test_provider_timeout_is_503_and_writes_nothing(client, db, clinic, razorpay):
    razorpay.post("/orders").mock(side_effect=httpx.ReadTimeout("slow"))
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                                 headers=bearer(clinic.patient_user))
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "Traceback" not in response.text
    count = (await db.execute(select(func.count()).select_from(Payment).where(
        Payment.appointment_id == appointment.id))).scalar_one()
    assert count == 0


async def test_provider_rejection_is_a_clean_error(client, db, clinic, razorpay):
    razorpay.post("/orders").mock(return_value=httpx.Response(400, json={"error": {
        "code": "BAD_REQUEST_ERROR", "description": "The amount must be at least INR 1.00"}}))
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                                 headers=bearer(clinic.patient_user))
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "PAYMENT_PROVIDER_ERROR"
    assert "test-key-secret" not in response.text


async def test_payment_link_request_format(client, db, clinic, razorpay):
    captured: dict = {}

    def reply(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        captured.update(body)
        return httpx.Response(200, json={"id": "plink_RzpFake000001", "short_url": "https://rzp.io/i/abc123",
                                         "amount": body["amount"], "currency": body["currency"], "status": "created",
                                         "reference_id": body["reference_id"], "expire_by": body["expire_by"]})

    razorpay.post("/payment_links").mock(side_effect=reply)
    desk = await make_desk_user(db, clinic, "FRONT_DESK")
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient, source="ADMIN_FRONT_DESK", hold_minutes=24 * 60)
    before = utcnow()
    response = await client.post(f"/api/appointments/{appointment.id}/send-payment-link", headers=bearer(desk))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["paymentLink"] == "https://rzp.io/i/abc123"
    minutes = get_settings().payment_link_minutes
    assert captured["amount"] == clinic.clinician.consultation_fee_paise + clinic.org.registration_fee_paise
    assert captured["currency"] == "INR" and captured["accept_partial"] is False
    assert before.timestamp() + minutes * 60 - 5 <= captured["expire_by"] <= utcnow().timestamp() + minutes * 60
    assert captured["customer"]["contact"] == clinic.patient.phone
    assert captured["callback_method"] == "get" and captured["callback_url"].endswith("/api/payments/link-callback")
    await db.refresh(appointment)
    assert abs(appointment.hold_expires_at.timestamp() - captured["expire_by"]) < 1


async def test_reconciliation_settles_an_order_whose_webhook_never_came(client, db, clinic, razorpay):
    razorpay.post("/orders").mock(side_effect=_order_reply)
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = (await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                               headers=bearer(clinic.patient_user))).json()["data"]
    fetch = razorpay.get(f"/orders/{order['orderId']}/payments").mock(return_value=httpx.Response(200, json={
        "entity": "collection", "count": 2, "items": [
            rzp_payment("pay_Failed000001", order_id=order["orderId"], amount=order["amount"], status="failed"),
            rzp_payment("pay_Capture00001", order_id=order["orderId"], amount=order["amount"], method="upi")]}))
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()

    assert await reconciliation.reconcile_due(unit_of_work) == 0  # too young: not asked about yet
    assert fetch.call_count == 0
    payment.created_at = utcnow() - timedelta(minutes=10)
    await db.flush()
    assert await reconciliation.reconcile_due(unit_of_work) == 1
    assert _basic(fetch.calls.last.request)[0] == "rzp_test_K3yId0000001"
    await db.refresh(payment)
    await db.refresh(appointment)
    assert (payment.status, payment.payment_id, payment.method) == ("SUCCESS", "pay_Capture00001", "UPI")
    assert appointment.status == "CONFIRMED"
    assert await reconciliation.reconcile_due(unit_of_work) == 0


async def test_reconciliation_survives_a_provider_outage(client, db, clinic, razorpay):
    razorpay.post("/orders").mock(side_effect=_order_reply)
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = (await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                               headers=bearer(clinic.patient_user))).json()["data"]
    razorpay.get(f"/orders/{order['orderId']}/payments").mock(side_effect=httpx.ConnectError("down"))
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()
    payment.created_at = utcnow() - timedelta(minutes=10)
    await db.flush()
    assert await reconciliation.reconcile_due(unit_of_work) == 0
    await db.refresh(payment)
    assert payment.status == "CREATED"
