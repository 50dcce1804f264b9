"""Desk payments (cash/card/UPI) and payment links with the offline provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.payments.models import Payment
from clinicops.payments.providers.offline import LEDGER
from tests.builders.payments import make_appointment, make_desk_user, rzp_event, rzp_hmac
from tests.builders.people import bearer

DESK = ["ADMIN", "MANAGER", "CENTRE_MANAGER", "CARE_COORDINATOR", "FRONT_DESK"]


async def _booked(db, clinic, **kw):
    return await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                  patient=clinic.patient, source="ADMIN_FRONT_DESK", **kw)


@pytest.mark.parametrize("role", DESK)
async def test_confirm_direct_payment_by_each_desk_role(client, db, clinic, role):
    user = await make_desk_user(db, clinic, role)
    appointment = await _booked(db, clinic)
    response = await client.post(f"/api/appointments/{appointment.id}/confirm-direct-payment",
                                 headers=bearer(user), json={"paymentMethod": "cash", "paymentNotes": "Paid at desk"})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["appointment"]["status"] == "CONFIRMED"
    payment = (await db.execute(select(Payment).where(Payment.appointment_id == appointment.id))).scalar_one()
    await db.refresh(payment)
    assert (payment.status, payment.method, payment.recorded_by_user_id) == ("SUCCESS", "CASH", user.id)
    assert payment.amount_paise == clinic.clinician.consultation_fee_paise + clinic.org.registration_fee_paise
    again = await client.post(f"/api/appointments/{appointment.id}/confirm-direct-payment",
                              headers=bearer(user), json={"paymentMethod": "UPI"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_PAID")


async def test_confirm_direct_payment_refused_roles_and_scope(client, db, clinic):
    appointment = await _booked(db, clinic)
    clinician_user = await db.get(__import__("clinicops.auth.models", fromlist=["User"]).User,
                                  clinic.clinician.user_id)
    path = f"/api/appointments/{appointment.id}/confirm-direct-payment"
    body = {"paymentMethod": "CARD"}
    assert (await client.post(path, headers=bearer(clinician_user), json=body)).status_code == 403
    assert (await client.post(path, headers=bearer(clinic.patient_user), json=body)).status_code == 403
    elsewhere = await make_desk_user(db, clinic, "FRONT_DESK", centre=clinic.other_centre)
    assert (await client.post(path, headers=bearer(elsewhere), json=body)).status_code == 404
    bad = await client.post(path, headers=bearer(await make_desk_user(db, clinic)), json={"paymentMethod": "GOLD"})
    assert bad.status_code == 422
    await db.refresh(appointment)
    assert appointment.status == "BOOKED"


async def test_offline_link_paid_end_to_end(client, db, clinic, run_jobs):
    desk = await make_desk_user(db, clinic, "CARE_COORDINATOR")
    appointment = await _booked(db, clinic)
    sent = await client.post("/api/payment/send-link", json={"appointmentId": appointment.id}, headers=bearer(desk))
    assert sent.status_code == 200, sent.text
    link_id = sent.json()["data"]["paymentLinkId"]
    assert link_id.startswith("plink_")
    assert sent.json()["data"]["paymentLink"].startswith(get_settings().public_base_url)
    page = await client.get(f"/api/payments/offline/pay/{link_id}")
    assert page.status_code == 200 and "Offline payment" in page.text
    assert (await client.post(f"/api/payments/offline/pay/{link_id}")).status_code == 200
    await run_jobs()
    await db.refresh(appointment)
    assert appointment.status == "CONFIRMED"
    verified = await client.get(f"/api/payments/verify/{link_id}", headers=bearer(desk))
    assert verified.json()["data"]["paid"] is True and verified.json()["data"]["linkStatus"] == "paid"


async def test_link_callback_signature_is_checked(client, db, clinic):
    desk = await make_desk_user(db, clinic)
    appointment = await _booked(db, clinic)
    link = (await client.post("/api/payments/create-link", json={"appointmentId": appointment.id},
                              headers=bearer(desk))).json()["data"]
    reference = LEDGER.links[link["paymentLinkId"]].reference_id
    params = {"razorpay_payment_id": "pay_CB00000000001", "razorpay_payment_link_id": link["paymentLinkId"],
              "razorpay_payment_link_reference_id": reference, "razorpay_payment_link_status": "paid"}
    forged = await client.get("/api/payments/link-callback", params={**params, "razorpay_signature": "00" * 32})
    assert forged.status_code == 400
    await db.refresh(appointment)
    assert appointment.status == "BOOKED"
    message = f"{link['paymentLinkId']}|{reference}|paid|pay_CB00000000001"
    good = await client.get("/api/payments/link-callback", params={
        **params, "razorpay_signature": rzp_hmac(get_settings().razorpay_key_secret, message)})
    assert good.status_code == 200
    await db.refresh(appointment)
    assert appointment.status == "CONFIRMED"


async def test_link_expiry_webhook_releases_the_held_slot(client, db, clinic, run_jobs):
    desk = await make_desk_user(db, clinic)
    appointment = await _booked(db, clinic)
    link = (await client.post("/api/payments/create-link", json={"appointmentId": appointment.id},
                              headers=bearer(desk))).json()["data"]
    raw = rzp_event("payment_link.expired", payment_link={"id": link["paymentLinkId"], "entity": "payment_link",
                                                           "amount": 160000, "currency": "INR", "status": "expired"})
    headers = {"X-Razorpay-Event-Id": "evt_exp", "Content-Type": "application/json",
               "X-Razorpay-Signature": rzp_hmac(get_settings().razorpay_webhook_secret, raw)}
    assert (await client.post("/api/payments/webhook", content=raw, headers=headers)).status_code == 200
    await run_jobs()
    await db.refresh(appointment)
    payment = (await db.execute(select(Payment).where(Payment.link_id == link["paymentLinkId"]))).scalar_one()
    await db.refresh(payment)
    assert payment.status == "FAILED" and payment.failure_code == "LINK_EXPIRED"
    assert appointment.status == "CANCELLED"


async def test_staff_history_is_scoped_to_centres(client, db, clinic):
    admin = await make_desk_user(db, clinic, "ADMIN")
    here = await _booked(db, clinic)
    await client.post(f"/api/appointments/{here.id}/confirm-direct-payment", headers=bearer(admin),
                      json={"paymentMethod": "UPI"})
    elsewhere = await make_desk_user(db, clinic, "FRONT_DESK", centre=clinic.other_centre)
    mine = await client.get("/api/payments/history", headers=bearer(admin))
    theirs = await client.get("/api/payments/history", headers=bearer(elsewhere))
    patient = await client.get("/api/payments/history?status=SUCCESS", headers=bearer(clinic.patient_user))
    assert mine.json()["data"]["total"] == 1 and theirs.json()["data"]["total"] == 0
    assert patient.json()["data"]["payments"][0]["appointmentId"] == here.id
    one = await client.get(f"/api/payments/{here.id}", headers=bearer(clinic.patient_user))
    assert one.status_code == 200 and one.json()["data"]["status"] == "SUCCESS"
    assert (await client.get(f"/api/payments/{here.id}", headers=bearer(elsewhere))).status_code == 404


async def test_expired_hold_cannot_get_a_link(client, db, clinic):
    desk = await make_desk_user(db, clinic)
    appointment = await _booked(db, clinic)
    appointment.hold_expires_at = utcnow() - timedelta(seconds=1)
    await db.flush()
    response = await client.post(f"/api/appointments/{appointment.id}/send-payment-link", headers=bearer(desk))
    assert response.status_code == 409
