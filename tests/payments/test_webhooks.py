"""Razorpay webhooks: signature over the raw body, stored once, applied once by the job, forward-only."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.config import get_settings
from clinicops.payments.models import Payment, WebhookEvent
from tests.builders.payments import make_appointment, make_clinic, rzp_event, rzp_hmac, rzp_payment
from tests.builders.people import bearer


def _headers(raw: bytes, event_id: str, secret: str | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Razorpay-Event-Id": event_id,
            "X-Razorpay-Signature": rzp_hmac(secret or get_settings().razorpay_webhook_secret, raw)}


async def _ordered(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                                 headers=bearer(clinic.patient_user))
    assert response.status_code == 201
    return appointment, response.json()["data"]


async def _confirmations(db, appointment_id: int) -> int:
    return (await db.execute(select(func.count()).select_from(AppointmentEvent).where(
        AppointmentEvent.appointment_id == appointment_id, AppointmentEvent.to_status == "CONFIRMED"))).scalar_one()


async def test_invalid_signature_is_400_and_stores_nothing(client, db, clinic):
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_A", order_id="order_A", amount=100))
    bad = await client.post("/api/payments/webhook", content=raw, headers=_headers(raw, "evt_bad", "wrong"))
    missing = await client.post("/api/payments/webhook", content=raw, headers={"Content-Type": "application/json"})
    # The same JSON re-serialised (different bytes) must not verify against the raw-body signature.
    reserialised = json.dumps(json.loads(raw), separators=(",", ":")).encode()
    assert reserialised != raw
    moved = await client.post("/api/payments/webhook", content=reserialised, headers=_headers(raw, "evt_moved"))
    assert [bad.status_code, missing.status_code, moved.status_code] == [400, 400, 400]
    assert bad.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert (await db.execute(select(func.count()).select_from(WebhookEvent))).scalar_one() == 0


async def test_captured_webhook_confirms_through_the_job(client, db, clinic, run_jobs, queued_jobs):
    appointment, order = await _ordered(client, db, clinic)
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_W1", order_id=order["orderId"],
                                                            amount=order["amount"], method="card"))
    response = await client.post("/api/payments/webhook", content=raw, headers=_headers(raw, "evt_W1"))
    assert response.status_code == 200
    assert [name for name, _ in queued_jobs()] == ["clinicops:payments.apply_webhook"]
    await db.refresh(appointment)
    assert appointment.status == "BOOKED"  # applied by the job, not in the request
    await run_jobs()
    await db.refresh(appointment)
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()
    await db.refresh(payment)
    assert appointment.status == "CONFIRMED"
    assert (payment.status, payment.payment_id, payment.method) == ("SUCCESS", "pay_W1", "CARD")


async def test_verify_and_webhook_both_arriving_confirm_once(client, db, clinic, run_jobs):
    appointment, order = await _ordered(client, db, clinic)
    signature = rzp_hmac(get_settings().razorpay_key_secret, f"{order['orderId']}|pay_BOTH")
    verify = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "razorpayPaymentId": "pay_BOTH",
        "razorpaySignature": signature})
    assert verify.status_code == 200
    for kind in ("payment.captured", "order.paid"):
        raw = rzp_event(kind, payment=rzp_payment("pay_BOTH", order_id=order["orderId"], amount=order["amount"]),
                        order={"id": order["orderId"], "entity": "order", "amount": order["amount"],
                               "currency": "INR", "status": "paid"})
        assert (await client.post("/api/payments/webhook", content=raw,
                                  headers=_headers(raw, f"evt_{kind}"))).status_code == 200
    await run_jobs()
    assert await _confirmations(db, appointment.id) == 1


async def test_amount_mismatch_is_recorded_not_applied(client, db, clinic, run_jobs):
    appointment, order = await _ordered(client, db, clinic)
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_LOW", order_id=order["orderId"], amount=100))
    assert (await client.post("/api/payments/webhook", content=raw, headers=_headers(raw, "evt_low"))).status_code == 200
    await run_jobs()
    await db.refresh(appointment)
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()
    await db.refresh(payment)
    event = (await db.execute(select(WebhookEvent).where(WebhookEvent.event_id == "evt_low"))).scalar_one()
    await db.refresh(event)
    assert appointment.status == "BOOKED" and payment.status == "CREATED"
    assert event.processed_at is not None and "amount mismatch" in event.error


async def test_failed_after_captured_never_moves_back(client, db, clinic, run_jobs):
    appointment, order = await _ordered(client, db, clinic)
    captured = rzp_event("payment.captured", payment=rzp_payment("pay_OK", order_id=order["orderId"],
                                                                 amount=order["amount"]))
    failed = rzp_event("payment.failed", payment=rzp_payment("pay_OK", order_id=order["orderId"],
                                                             amount=order["amount"], status="failed",
                                                             error_code="BAD_REQUEST_ERROR"))
    await client.post("/api/payments/webhook", content=captured, headers=_headers(captured, "evt_c"))
    await run_jobs()
    await client.post("/api/payments/webhook", content=failed, headers=_headers(failed, "evt_f"))
    await run_jobs()
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()
    await db.refresh(payment)
    assert payment.status == "SUCCESS"


async def test_same_webhook_three_times_two_concurrent_applies_once(committed, run_jobs):
    factory, client = committed
    async with factory() as db:
        clinic = await make_clinic(db)
        appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                             patient=clinic.patient)
        await db.commit()
        user, appointment_id = clinic.patient_user, appointment.id
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment_id},
                                 headers=bearer(user))
    order = response.json()["data"]
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_DUP", order_id=order["orderId"],
                                                            amount=order["amount"]))
    headers = _headers(raw, "evt_DUP_1")
    first, second = await asyncio.gather(client.post("/api/payments/webhook", content=raw, headers=headers),
                                         client.post("/api/payments/webhook", content=raw, headers=headers))
    third = await client.post("/api/payments/webhook", content=raw, headers=headers)
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 200]
    assert sorted(r.json()["data"]["duplicate"] for r in (first, second, third)) == [False, True, True]
    await run_jobs()
    async with factory() as db:
        events = (await db.execute(select(func.count()).select_from(WebhookEvent))).scalar_one()
        payments = list((await db.execute(select(Payment).where(Payment.appointment_id == appointment_id))).scalars())
        status = (await db.get(Appointment, appointment_id)).status
        assert events == 1 and status == "CONFIRMED"
        assert [(p.status, p.payment_id) for p in payments] == [("SUCCESS", "pay_DUP")]
        assert await _confirmations(db, appointment_id) == 1


async def test_concurrent_verify_and_webhook_confirm_once(committed, run_jobs):
    factory, client = committed
    async with factory() as db:
        clinic = await make_clinic(db)
        appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                             patient=clinic.patient)
        await db.commit()
        user, appointment_id = clinic.patient_user, appointment.id
    order = (await client.post("/api/payments/create-order", json={"appointmentId": appointment_id},
                               headers=bearer(user))).json()["data"]
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_RACE", order_id=order["orderId"],
                                                            amount=order["amount"]))
    await client.post("/api/payments/webhook", content=raw, headers=_headers(raw, "evt_RACE"))
    signature = rzp_hmac(get_settings().razorpay_key_secret, f"{order['orderId']}|pay_RACE")
    verify_call = client.post("/api/payments/verify", headers=bearer(user), json={
        "appointmentId": appointment_id, "razorpayOrderId": order["orderId"], "razorpayPaymentId": "pay_RACE",
        "razorpaySignature": signature})
    verified, _ = await asyncio.gather(verify_call, run_jobs())
    assert verified.status_code == 200
    async with factory() as db:
        assert await _confirmations(db, appointment_id) == 1
        assert (await db.get(Appointment, appointment_id)).status == "CONFIRMED"
