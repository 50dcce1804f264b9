"""create-order → Razorpay Checkout → verify / failure, with the offline provider."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow, zone
from clinicops.messaging.models import OutboxMessage
from clinicops.patients.models import PatientRegistration
from clinicops.payments.models import Payment
from tests.builders.clinicians import add_rule
from tests.builders.payments import make_appointment, make_desk_user, rzp_hmac
from tests.builders.people import bearer, make_patient
from tests.builders.slots import weekday_of


async def _order(client, user, appointment_id):
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment_id},
                                 headers=bearer(user))
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _checkout_signature(order_id: str, payment_id: str) -> str:
    return rzp_hmac(get_settings().razorpay_key_secret, f"{order_id}|{payment_id}")


async def _events_to(db, appointment_id, status):
    return (await db.execute(select(func.count()).select_from(AppointmentEvent).where(
        AppointmentEvent.appointment_id == appointment_id, AppointmentEvent.to_status == status))).scalar_one()


async def test_paid_flow_confirms_and_charges_registration_fee_once(client, db, clinic):
    first = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                   patient=clinic.patient)
    order = await _order(client, clinic.patient_user, first.id)
    fee = clinic.clinician.consultation_fee_paise
    assert order["amount"] == fee + clinic.org.registration_fee_paise
    assert order["orderId"].startswith("order_") and len(order["orderId"]) == len("order_") + 14
    assert order["currency"] == "INR" and order["razorpayKeyId"] == get_settings().razorpay_key_id
    assert order["consultationFee"] == fee / 100 and order["registrationFee"] == 100
    assert order["appointment"]["id"] == first.id

    response = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": first.id, "razorpayOrderId": order["orderId"], "razorpayPaymentId": "pay_TESTPAYMENT0001",
        "razorpaySignature": _checkout_signature(order["orderId"], "pay_TESTPAYMENT0001")})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["appointment"]["status"] == "CONFIRMED"

    payment = (await db.execute(select(Payment).where(Payment.appointment_id == first.id))).scalar_one()
    await db.refresh(payment)
    assert payment.status == "SUCCESS" and payment.payment_id == "pay_TESTPAYMENT0001" and payment.paid_at
    await db.refresh(first)
    assert first.status == "CONFIRMED" and first.hold_expires_at is None
    assert await _events_to(db, first.id, "CONFIRMED") == 1
    reg = (await db.execute(select(PatientRegistration).where(
        PatientRegistration.patient_id == clinic.patient.id))).scalar_one()
    await db.refresh(reg)
    assert reg.registration_fee_paid is True

    second = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                    patient=clinic.patient)
    again = await _order(client, clinic.patient_user, second.id)
    assert again["amount"] == fee and again["registrationFee"] == 0


async def test_create_order_is_idempotent_per_appointment(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    one = await _order(client, clinic.patient_user, appointment.id)
    two = await _order(client, clinic.patient_user, appointment.id)
    assert one["orderId"] == two["orderId"]
    count = (await db.execute(select(func.count()).select_from(Payment).where(
        Payment.appointment_id == appointment.id))).scalar_one()
    assert count == 1


async def test_bad_signature_is_400_and_changes_nothing(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = await _order(client, clinic.patient_user, appointment.id)
    wrong = rzp_hmac("not-the-secret", f"{order['orderId']}|pay_X")
    response = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "razorpayPaymentId": "pay_X",
        "razorpaySignature": wrong})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    payment = (await db.execute(select(Payment).where(Payment.appointment_id == appointment.id))).scalar_one()
    await db.refresh(payment)
    await db.refresh(appointment)
    assert payment.status == "CREATED" and payment.payment_id is None
    assert appointment.status == "BOOKED"
    assert await _events_to(db, appointment.id, "CONFIRMED") == 0


async def test_signature_over_another_order_id_is_refused(client, db, clinic):
    """A valid signature for some other order (e.g. a cheaper one) cannot pay this appointment."""
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    await _order(client, clinic.patient_user, appointment.id)
    forged_order = "order_SOMEOTHER00001"
    response = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": forged_order, "razorpayPaymentId": "pay_Y",
        "razorpaySignature": _checkout_signature(forged_order, "pay_Y")})
    assert response.status_code == 400
    await db.refresh(appointment)
    assert appointment.status == "BOOKED"


async def test_other_patients_appointment_is_404(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    stranger = await make_patient(db, org=clinic.org)
    from clinicops.auth.models import User
    stranger_user = await db.get(User, stranger.user_id)
    response = await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                                 headers=bearer(stranger_user))
    assert response.status_code == 404


async def test_desk_staff_can_create_order_in_scope_only(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    here = await make_desk_user(db, clinic, "FRONT_DESK")
    elsewhere = await make_desk_user(db, clinic, "FRONT_DESK", centre=clinic.other_centre)
    assert (await client.post("/api/payments/create-order", json={"appointmentId": appointment.id},
                              headers=bearer(elsewhere))).status_code == 404
    assert (await client.post("/api/payments/create-order", json={"appointment_id": appointment.id},
                              headers=bearer(here))).status_code == 201


async def test_expired_hold_and_confirmed_appointments_are_refused(client, db, clinic):
    expired = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                     patient=clinic.patient)
    expired.hold_expires_at = utcnow() - timedelta(minutes=1)
    confirmed = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                       patient=clinic.patient, status="CONFIRMED", hold_minutes=None)
    await db.flush()
    one = await client.post("/api/payments/create-order", json={"appointmentId": expired.id},
                            headers=bearer(clinic.patient_user))
    two = await client.post("/api/payments/create-order", json={"appointmentId": confirmed.id},
                            headers=bearer(clinic.patient_user))
    assert (one.status_code, one.json()["error"]["code"]) == (409, "HOLD_EXPIRED")
    assert (two.status_code, two.json()["error"]["code"]) == (409, "NOT_AWAITING_PAYMENT")


async def test_failure_marks_failed_and_releases_the_hold(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = await _order(client, clinic.patient_user, appointment.id)
    response = await client.post("/api/payments/failure", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "errorCode": "BAD_REQUEST_ERROR",
        "errorDescription": "Payment declined by bank"})
    assert response.status_code == 200, response.text
    await db.refresh(appointment)
    payment = (await db.execute(select(Payment).where(Payment.appointment_id == appointment.id))).scalar_one()
    await db.refresh(payment)
    assert payment.status == "FAILED" and payment.failure_code == "BAD_REQUEST_ERROR"
    assert appointment.status == "CANCELLED"
    assert "BAD_REQUEST_ERROR" in appointment.cancellation_reason


async def test_late_payment_rebooks_a_released_slot_that_is_still_free(client, db, clinic):
    # a re-booking is a booking (booking.book): the slot must be one the clinician offers
    day = datetime.now(zone(clinic.centre.timezone)).date() + timedelta(days=3)
    await add_rule(db, clinician=clinic.clinician, centre=clinic.centre, weekday=weekday_of(day))
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient, starts_at=datetime.combine(
                                             day, time(10, 0), tzinfo=zone(clinic.centre.timezone)))
    order = await _order(client, clinic.patient_user, appointment.id)
    await client.post("/api/payments/failure", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "errorCode": "TIMEOUT"})
    response = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "razorpayPaymentId": "pay_LATE0000000001",
        "razorpaySignature": _checkout_signature(order["orderId"], "pay_LATE0000000001")})
    assert response.status_code == 200, response.text
    new_id = response.json()["data"]["appointment"]["id"]
    assert new_id != appointment.id and response.json()["data"]["appointment"]["status"] == "CONFIRMED"
    rebooked = await db.get(Appointment, new_id)
    assert rebooked.starts_at == appointment.starts_at and rebooked.patient_id == clinic.patient.id


async def test_late_payment_for_a_taken_slot_is_marked_for_refund(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = await _order(client, clinic.patient_user, appointment.id)
    await client.post("/api/payments/failure", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "errorCode": "TIMEOUT"})
    other = await make_patient(db, org=clinic.org)
    await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician, patient=other,
                           starts_at=appointment.starts_at)
    response = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointmentId": appointment.id, "razorpayOrderId": order["orderId"], "razorpayPaymentId": "pay_LATE0000000002",
        "razorpaySignature": _checkout_signature(order["orderId"], "pay_LATE0000000002")})
    assert response.status_code == 200, response.text
    payment = (await db.execute(select(Payment).where(Payment.order_id == order["orderId"]))).scalar_one()
    await db.refresh(payment)
    assert payment.status == "SUCCESS" and payment.refund_eligible_paise == payment.amount_paise
    await db.refresh(appointment)
    assert appointment.status == "CANCELLED"
    # The patient is told the money goes back, never thanked "for your appointment" for a slot that is gone.
    templates = set((await db.execute(select(OutboxMessage.template).where(
        OutboxMessage.appointment_id == appointment.id))).scalars())
    assert "payment_refund_due" in templates and "payment_received" not in templates
    body = (await db.execute(select(OutboxMessage.body).where(OutboxMessage.appointment_id == appointment.id,
                                                              OutboxMessage.template == "payment_refund_due"))
            ).scalar_one()
    assert "refunded" in body and f"Rs. {payment.amount_paise // 100}" in body


async def test_registration_fee_status(client, db, clinic):
    response = await client.get("/api/payments/registration-fee-status", headers=bearer(clinic.patient_user))
    assert response.status_code == 200
    assert response.json()["data"]["hasPaidRegistrationFee"] is False
    assert response.json()["data"]["registrationFee"] == clinic.org.registration_fee_paise / 100
    reg = (await db.execute(select(PatientRegistration).where(
        PatientRegistration.patient_id == clinic.patient.id))).scalar_one()
    reg.registration_fee_paid = True
    await db.flush()
    response = await client.get("/api/payments/registration-fee-status", headers=bearer(clinic.patient_user))
    assert response.json()["data"]["hasPaidRegistrationFee"] is True
    assert response.json()["data"]["registrationFee"] == 0  # the amount still due (see test_registration_fee.py)


async def test_offline_checkout_simulation_pays_like_razorpay(client, db, clinic, run_jobs):
    """The dev-only checkout stand-in returns Razorpay's handler fields and sends the signed webhooks."""
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    order = await _order(client, clinic.patient_user, appointment.id)
    paid = await client.post("/api/payments/offline/checkout", json={"orderId": order["orderId"]})
    assert paid.status_code == 200, paid.text
    handler = paid.json()["data"]
    assert handler["razorpay_signature"] == _checkout_signature(order["orderId"], handler["razorpay_payment_id"])
    verify = await client.post("/api/payments/verify", headers=bearer(clinic.patient_user), json={
        "appointment_id": appointment.id, **handler})
    assert verify.status_code == 200, verify.text
    await run_jobs()
    assert await _events_to(db, appointment.id, "CONFIRMED") == 1


async def test_offline_pages_are_hidden_with_a_real_provider(client, razorpay):
    response = await client.post("/api/payments/offline/checkout", json={"orderId": "order_X"})
    assert response.status_code == 404
