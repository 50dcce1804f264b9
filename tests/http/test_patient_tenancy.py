"""Tenants stay apart on the patient side.

One person (one phone) is a patient of the chain (the hospital surface's served organization) and of a clinic
(another tenant), with appointments, payments and messages in both. Signed in on the chain's website they see only
the chain's data, and every read or write of the clinic's appointment is 404 — the same 404 as an id that does not
exist — and changes nothing in the database.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.kit.timezones import utcnow
from clinicops.messaging.models import OutboxMessage
from clinicops.messaging.service import queue_message
from clinicops.patients.models import PatientRegistration
from clinicops.payments.models import Payment
from tests.builders.appointments import make_world
from tests.builders.auth import auth, patient_sign_in
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_payment
from tests.builders.payments import make_appointment

MEET_LINK = "https://meet.google.com/cli-nico-nly"
UNKNOWN_ID = 987_654_321


async def _two_tenants(db):
    """The chain's world, and the clinic where the same person is a patient too; appointments and money in both."""
    w = await make_world(db)
    clinic = await make_org(db, name="Demo Clinic", kind="CLINIC")
    c_centre = await make_centre(db, org=clinic, name="Clinic Centre", city="kochi")
    c_doctor = await make_clinician(db, org=clinic, centre=c_centre, full_name="Dr. Clinic Doctor")
    db.add(PatientRegistration(organization_id=clinic.id, patient_id=w.patient.id, mrn="CLN0001",
                               registration_fee_paid=True, registration_fee_paid_at=utcnow()))
    past = utcnow().replace(microsecond=0) - timedelta(days=5)

    def at(org, centre, doctor, **fields):
        return make_appointment(db, org=org, centre=centre, clinician=doctor, patient=w.patient, **fields)

    mine = {
        "held": await at(w.org, w.centre, w.clinician),
        "online": await at(w.org, w.centre, w.clinician, status="CONFIRMED", mode="ONLINE", hold_minutes=None,
                           meet_link="https://meet.google.com/cha-inch-ain"),
        "past": await at(w.org, w.centre, w.clinician, status="COMPLETED", hold_minutes=None, starts_at=past),
    }
    theirs = {
        "held": await at(clinic, c_centre, c_doctor),
        "online": await at(clinic, c_centre, c_doctor, status="CONFIRMED", mode="ONLINE", hold_minutes=None,
                           meet_link=MEET_LINK),
        "past": await at(clinic, c_centre, c_doctor, status="COMPLETED", hold_minutes=None,
                         starts_at=past - timedelta(days=1)),
    }
    my_payment = await make_payment(db, patient=w.patient, appointment=mine["past"], amount_paise=1600_00)
    their_payments = [await make_payment(db, patient=w.patient, appointment=theirs["past"], amount_paise=900_00),
                      await make_payment(db, patient=w.patient, appointment=theirs["held"], amount_paise=900_00,
                                         status="CREATED", order_id="order_CLINICORDER001")]
    for org, appointment in ((w.org, mine["online"]), (clinic, theirs["online"])):
        await queue_message(db, template="payment_received", recipient=w.patient.phone, organization_id=org.id,
                            patient_id=w.patient.id, appointment_id=appointment.id,
                            params={"patient": "Asha", "amount": "900", "clinician": "Dr", "when": "soon"})
    await db.flush()
    return w, clinic, mine, theirs, my_payment, their_payments


async def _snapshot(db, clinic_id: int) -> dict:
    """Everything of the clinic's that a patient-side write could change."""
    appointments = await db.execute(
        select(Appointment.id, Appointment.status, Appointment.hold_expires_at, Appointment.version,
               Appointment.cancellation_reason, Appointment.meet_link)
        .where(Appointment.organization_id == clinic_id).order_by(Appointment.id)
        .execution_options(populate_existing=True))
    payments = await db.execute(
        select(Payment.id, Payment.status, Payment.amount_paise, Payment.order_id, Payment.failure_code)
        .where(Payment.organization_id == clinic_id).order_by(Payment.id))
    events = await db.execute(select(func.count()).select_from(AppointmentEvent).join(
        Appointment, Appointment.id == AppointmentEvent.appointment_id).where(Appointment.organization_id == clinic_id))
    messages = await db.execute(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.organization_id == clinic_id))
    return {"appointments": [tuple(r) for r in appointments], "payments": [tuple(r) for r in payments],
            "events": events.scalar_one(), "messages": messages.scalar_one()}


def _ids(rows: list[dict]) -> set[int]:
    return {row["id"] for row in rows}


async def test_lists_and_dashboards_show_only_the_chains_data(client, db):
    w, _clinic, mine, theirs, my_payment, _their_payments = await _two_tenants(db)
    headers = auth((await patient_sign_in(client, db, w.patient.phone))["accessToken"])

    async def get(path: str) -> dict:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        return response.json()["data"]

    every = _ids([{"id": a.id} for a in mine.values()])
    for path in ("/api/booking/my-appointments", "/api/patient/appointments", "/api/patient-dashboard/appointments"):
        data = await get(path)
        assert _ids(data["appointments"]) == every and data["total"] == 3, path
    upcoming = await get("/api/booking/my-appointments?upcoming=true")
    assert _ids(upcoming["appointments"]) == {mine["held"].id, mine["online"].id}

    dashboard = await get("/api/patient/dashboard")
    stats = dashboard["statistics"]
    assert stats["totalAppointments"] == 3 and stats["upcomingAppointments"] == 2
    assert stats["pastAppointments"] == 1 and stats["completedAppointments"] == 1
    assert stats["totalSpent"] == 1600
    assert _ids(dashboard["upcomingAppointments"]) == {mine["held"].id, mine["online"].id}
    assert _ids(dashboard["recentAppointments"]) == {mine["past"].id}
    assert _ids(dashboard["recentPayments"]) == {my_payment.id}
    assert MEET_LINK not in str(dashboard)

    assert _ids((await get("/api/patient/payments"))["payments"]) == {my_payment.id}
    assert _ids((await get("/api/payments/history"))["payments"]) == {my_payment.id}
    filtered = await get(f"/api/payments/history?appointmentId={theirs['past'].id}")
    assert filtered["payments"] == [] and filtered["total"] == 0
    notices = (await get("/api/patient/notifications"))["notifications"]
    assert {n["appointment_id"] for n in notices} == {mine["online"].id}

    # paid at the clinic, not at the chain: the chain's fee is still due
    fee = await get("/api/payments/registration-fee-status")
    assert fee["hasPaidRegistrationFee"] is False and fee["registrationFee"] > 0


async def test_the_other_organizations_appointment_is_not_found_and_nothing_changes(client, db):
    w, clinic, mine, theirs, _my_payment, _their_payments = await _two_tenants(db)
    headers = auth((await patient_sign_in(client, db, w.patient.phone))["accessToken"])
    before = await _snapshot(db, clinic.id)
    not_found = await client.get(f"/api/booking/{UNKNOWN_ID}", headers=headers)
    assert not_found.status_code == 404

    def reads(appointment_id: int) -> list[str]:
        return [f"/api/booking/{appointment_id}", f"/api/patient/appointments/{appointment_id}",
                f"/api/patient-dashboard/appointments/{appointment_id}", f"/api/payments/{appointment_id}"]

    def writes(appointment_id: int) -> list[tuple[str, dict]]:
        checkout = {"appointmentId": appointment_id, "razorpayOrderId": "order_CLINICORDER001",
                    "razorpayPaymentId": "pay_CLINICPAYMENT01", "razorpaySignature": "0" * 64}
        return [(f"/api/booking/{appointment_id}/cancel", {"reason": "not mine"}),
                (f"/api/patient/appointments/{appointment_id}/cancel", {"reason": "not mine"}),
                (f"/api/patient-dashboard/appointments/{appointment_id}/cancel", {"reason": "not mine"}),
                ("/api/payments/create-order", {"appointmentId": appointment_id}),
                ("/api/payment/create-order", {"appointmentId": appointment_id}),
                ("/api/payments/verify", checkout), ("/api/payment/verify", checkout),
                ("/api/payments/failure", {"appointmentId": appointment_id, "razorpayOrderId": "order_CLINICORDER001",
                                           "errorCode": "BAD_REQUEST_ERROR", "errorDescription": "declined"})]

    for appointment in theirs.values():
        for path in reads(appointment.id):
            response = await client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == not_found.json()["error"]["code"] == "NOT_FOUND"
            assert MEET_LINK not in response.text
        for path, body in writes(appointment.id):
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
    # the Meet-link routes are staff-only: a patient learns nothing there either
    for response in (await client.get(f"/api/video/appointment/{theirs['online'].id}/meet-link", headers=headers),
                     await client.post("/api/video/generate-meet-link", headers=headers,
                                       json={"appointmentId": theirs["online"].id})):
        assert response.status_code == 403 and MEET_LINK not in response.text

    assert await _snapshot(db, clinic.id) == before

    # the same calls on the chain's own appointments work (so the 404s above are the scope, not a broken route)
    assert (await client.get(f"/api/booking/{mine['held'].id}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/payments/{mine['past'].id}", headers=headers)).status_code == 200
    order = await client.post("/api/payments/create-order", json={"appointmentId": mine["held"].id},
                              headers=headers)
    assert order.status_code == 201, order.text
    cancelled = await client.post(f"/api/booking/{mine['held'].id}/cancel", json={"reason": "plans changed"},
                                  headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "CANCELLED"
    assert await _snapshot(db, clinic.id) == before


async def test_bad_input_on_the_patient_routes_names_the_field_and_changes_nothing(client, db):
    w, _clinic, mine, _theirs, _my_payment, _their_payments = await _two_tenants(db)
    headers = auth((await patient_sign_in(client, db, w.patient.phone))["accessToken"])
    before = await _snapshot(db, w.org.id)
    cases = [
        ("GET", "/api/payments/registration-fee-status?patientId=abc", None, "patientId"),
        ("GET", "/api/patient/appointments?limit=-1", None, "limit"),
        ("GET", "/api/booking/my-appointments?offset=-5", None, "offset"),
        ("GET", "/api/payments/history?offset=x", None, "offset"),
        ("POST", "/api/payments/create-order", {"appointmentId": "first"}, "appointmentId"),
        ("POST", "/api/payments/verify", {"appointmentId": mine["held"].id, "razorpayOrderId": "",
                                          "razorpayPaymentId": "pay_1", "razorpaySignature": "x"}, "razorpayOrderId"),
        ("POST", "/api/payments/failure", {"appointmentId": -1}, "appointmentId"),
        ("POST", f"/api/booking/{mine['held'].id}/cancel", {"reason": "x" * 1001}, "reason"),
        ("POST", f"/api/patient/appointments/{mine['held'].id}/cancel", {"reason": "x" * 1001}, "reason"),
    ]
    for method, path, body, field in cases:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR" and response.json()["success"] is False
        assert field in [d["field"] for d in error["details"]], (path, error)
    assert await _snapshot(db, w.org.id) == before
