"""Refund eligibility on cancellation, refunds through Razorpay, and refund.processed."""

from __future__ import annotations

from datetime import timedelta

import httpx
import json
from sqlalchemy import select

from clinicops import lifecycle
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.payments.models import Payment
from tests.builders.payments import make_appointment, make_desk_user, rzp_event, rzp_hmac
from tests.builders.people import bearer


async def _paid(client, db, clinic, **kw):
    admin = await make_desk_user(db, clinic, "ADMIN")
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient, **kw)
    response = await client.post(f"/api/appointments/{appointment.id}/confirm-direct-payment",
                                 headers=bearer(admin), json={"paymentMethod": "CARD"})
    assert response.status_code == 200
    payment = (await db.execute(select(Payment).where(Payment.appointment_id == appointment.id))).scalar_one()
    await db.refresh(appointment)
    return admin, appointment, payment


async def test_staff_cancellation_makes_the_consultation_fee_refundable(client, db, clinic):
    admin, appointment, payment = await _paid(client, db, clinic)
    await lifecycle.change_status(db, appointment, "CANCELLED", actor_user_id=admin.id, reason="Doctor unwell")
    await db.refresh(payment)
    assert payment.refund_eligible_paise == clinic.clinician.consultation_fee_paise
    assert payment.refund_eligible_paise < payment.amount_paise  # the registration fee stays


async def test_patient_cancellation_inside_24h_is_not_refundable(client, db, clinic):
    soon = utcnow() + timedelta(hours=5)
    _admin, appointment, payment = await _paid(client, db, clinic, starts_at=soon)
    await lifecycle.change_status(db, appointment, "CANCELLED", actor_user_id=clinic.patient_user.id,
                                  actor="PATIENT", reason="Cannot come")
    await db.refresh(payment)
    assert payment.refund_eligible_paise == 0


async def test_patient_cancellation_a_day_ahead_is_refundable(client, db, clinic):
    _admin, appointment, payment = await _paid(client, db, clinic, starts_at=utcnow() + timedelta(days=2))
    await lifecycle.change_status(db, appointment, "CANCELLED", actor_user_id=clinic.patient_user.id,
                                  actor="PATIENT", reason="Travelling")
    await db.refresh(payment)
    assert payment.refund_eligible_paise == clinic.clinician.consultation_fee_paise


async def test_desk_payment_refund_is_recorded(client, db, clinic):
    admin, appointment, payment = await _paid(client, db, clinic)
    await lifecycle.change_status(db, appointment, "CANCELLED", actor_user_id=admin.id, reason="Closed")
    front = await make_desk_user(db, clinic, "FRONT_DESK")
    assert (await client.post(f"/api/payments/{payment.id}/refund", headers=bearer(front), json={})).status_code == 403
    response = await client.post(f"/api/payments/{payment.id}/refund", headers=bearer(admin), json={})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["refundedAmount"] * 100 == clinic.clinician.consultation_fee_paise
    again = await client.post(f"/api/payments/{payment.id}/refund", headers=bearer(admin), json={})
    assert again.status_code == 409


async def test_razorpay_refund_then_refund_processed_webhook(client, db, clinic, razorpay, run_jobs):
    def order_reply(request):
        body = json.loads(request.content)
        return httpx.Response(200, json={"id": "order_RzpRefund00001", "amount": body["amount"], "currency": "INR",
                                         "receipt": body["receipt"], "status": "created"})

    razorpay.post("/orders").mock(side_effect=order_reply)
    admin = await make_desk_user(db, clinic, "ADMIN")
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = (await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                               headers=bearer(clinic.patient_user))).json()["data"]
    signature = rzp_hmac("test-key-secret-for-razorpay", f"{order['orderId']}|pay_ToRefund00001")
    assert (await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"],
        "razorpayPaymentId": "pay_ToRefund00001", "razorpaySignature": signature})).status_code == 200
    await db.refresh(appointment)
    await lifecycle.change_status(db, appointment, "CANCELLED", actor_user_id=admin.id, reason="Clinic closed")

    refund_route = razorpay.post("/payments/pay_ToRefund00001/refund").mock(return_value=httpx.Response(200, json={
        "id": "rfnd_RzpFake000001", "entity": "refund", "amount": clinic.clinician.consultation_fee_paise,
        "currency": "INR", "payment_id": "pay_ToRefund00001", "status": "pending"}))
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()
    response = await client.post(f"/api/payments/{payment.id}/refund", headers=bearer(admin),
                                 json={"reason": "Clinic closed"})
    assert response.status_code == 200, response.text
    sent = json.loads(refund_route.calls.last.request.content)
    assert sent["amount"] == clinic.clinician.consultation_fee_paise and sent["speed"] == "normal"
    assert refund_route.calls.last.request.headers["X-Refund-Idempotency"]

    raw = rzp_event("refund.processed", refund={"id": "rfnd_RzpFake000001", "entity": "refund",
                                                "amount": payment.amount_paise, "payment_id": "pay_ToRefund00001",
                                                "status": "processed"})
    headers = {"X-Razorpay-Event-Id": "evt_rfnd", "Content-Type": "application/json",
               "X-Razorpay-Signature": rzp_hmac(get_settings().razorpay_webhook_secret, raw)}
    assert (await client.post("/api/payments/webhook", content=raw, headers=headers)).status_code == 200
    await run_jobs()
    await db.refresh(payment)
    assert payment.status == "REFUNDED" and payment.refund_status == "PROCESSED"
