"""Input the database or the calendar cannot take gets a 4xx envelope naming the field, never a 500.

Each case here was a 500 found by fuzzing the hospital surface with schemathesis.
"""

from __future__ import annotations

from sqlalchemy import func, select

from clinicops.config import get_settings
from clinicops.patients.models import Patient
from clinicops.payments.models import WebhookEvent
from tests.builders.payments import make_appointment, make_desk_user, rzp_event, rzp_hmac, rzp_payment
from tests.builders.people import bearer

BEYOND_BIGINT = 2**63  # one past PostgreSQL's bigint


def assert_envelope(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    assert "Traceback" not in response.text
    if field is not None:
        assert body["error"]["code"] == "VALIDATION_ERROR"
        assert field in [d["field"] for d in body["error"]["details"]], body
    return body


async def _count(db, model) -> int:
    return (await db.execute(select(func.count()).select_from(model))).scalar_one()


# --- integers beyond bigint --------------------------------------------------------------------------------------

async def test_a_path_id_beyond_bigint_is_not_found(client, db, clinic):
    admin = await make_desk_user(db, clinic, role="ADMIN")
    for path in (f"/api/centres/{BEYOND_BIGINT}", f"/api/clinicians/clinicians/{BEYOND_BIGINT}/availability",
                 f"/api/appointments/{BEYOND_BIGINT * 10**6}"):
        assert_envelope(await client.get(path, headers=bearer(admin)), 404)
    # a valid but unknown id answers the same way, so the large one reveals nothing different
    assert_envelope(await client.get(f"/api/centres/{BEYOND_BIGINT - 1}", headers=bearer(admin)), 404)


async def test_a_query_integer_beyond_bigint_is_rejected_naming_it(client, db, clinic):
    admin = await make_desk_user(db, clinic, role="ADMIN")
    headers = bearer(admin)
    assert_envelope(await client.get("/api/video/links", params={"offset": str(BEYOND_BIGINT)}, headers=headers),
                    422, "offset")
    assert_envelope(await client.get(f"/api/payments/patient/{clinic.patient.id}",
                                     params={"offset": str(-BEYOND_BIGINT - 1)}, headers=headers), 422, "offset")
    assert_envelope(await client.get("/api/appointments", params={"centreId": "9" * 30}, headers=headers),
                    422, "centreId")
    # longer than Python's int() accepts from text (4300 digits)
    assert_envelope(await client.get("/api/video/links", params={"offset": "9" * 5000}, headers=headers),
                    422, "offset")
    # the largest bigint itself is a valid (if empty) page
    page = await client.get("/api/video/links", params={"offset": str(BEYOND_BIGINT - 1)}, headers=headers)
    assert page.status_code == 200, page.text


async def test_a_body_integer_beyond_bigint_is_rejected_naming_it(client, db, clinic):
    desk = await make_desk_user(db, clinic)
    response = await client.post("/api/payment/send-link", headers=bearer(desk),
                                 json={"appointmentId": BEYOND_BIGINT})
    assert_envelope(response, 422, "appointmentId")
    response = await client.post("/api/video/generate-meet-link", headers=bearer(desk),
                                 json={"appointmentId": -BEYOND_BIGINT * 2})
    assert_envelope(response, 422, "appointmentId")


# --- NUL characters ---------------------------------------------------------------------------------------------

async def test_a_nul_character_in_a_query_value_is_rejected_naming_it(client, db, clinic):
    admin = await make_desk_user(db, clinic, role="ADMIN")
    response = await client.get("/api/patients", params={"search": "As\x00ha"}, headers=bearer(admin))
    assert_envelope(response, 422, "search")


async def test_a_nul_character_in_a_body_is_rejected_and_nothing_is_written(client, db, clinic):
    desk = await make_desk_user(db, clinic)
    before = await _count(db, Patient)
    response = await client.post("/api/patients", headers=bearer(desk),
                                 json={"phone": "9876501234", "firstName": "Ra\x00vi", "lastName": "Kumar"})
    assert_envelope(response, 422, "firstName")
    assert await _count(db, Patient) == before


async def test_a_database_data_error_is_a_422_envelope_and_rolls_back(client, db, clinic):
    """A signed webhook is stored raw; PostgreSQL's jsonb refuses \\u0000, which must not surface as a 500."""
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_NUL", order_id="order_NUL", amount=100,
                                                            notes={"x": "a\x00b"}))
    assert "\\u0000" in raw.decode()
    headers = {"Content-Type": "application/json", "X-Razorpay-Event-Id": "evt_NUL",
               "X-Razorpay-Signature": rzp_hmac(get_settings().razorpay_webhook_secret, raw)}
    response = await client.post("/api/payments/webhook", content=raw, headers=headers)
    assert_envelope(response, 422)
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert await _count(db, WebhookEvent) == 0


# --- money ---------------------------------------------------------------------------------------------------------

async def test_an_absurd_or_non_finite_refund_amount_is_rejected_naming_it(client, db, clinic):
    admin = await make_desk_user(db, clinic, role="ADMIN")
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    for raw in ('{"amount": 2.5e98}', '{"amount": NaN}', '{"amount": Infinity}'):
        response = await client.post(f"/api/payments/{appointment.id}/refund", content=raw,
                                     headers={**bearer(admin), "Content-Type": "application/json"})
        assert_envelope(response, 422, "amount")


# --- dates at the ends of the calendar -----------------------------------------------------------------------------

async def test_dates_at_the_ends_of_the_calendar_are_rejected_naming_them(client, db, clinic):
    admin = await make_desk_user(db, clinic, role="ADMIN")
    headers = bearer(admin)
    cases = [
        (f"/api/clinicians/{clinic.clinician.id}/slots", {"date": "9999-12-31"}, "date"),
        ("/api/booking/available-slots", {"clinicianId": clinic.clinician.id, "centreId": clinic.centre.id,
                                          "date": "9999-12-31"}, "date"),
        ("/api/notifications/stats", {"to": "9999-12-31"}, "to"),
        ("/api/payments/history", {"from": "0001-01-01"}, "from"),
    ]
    for path, params, field in cases:
        assert_envelope(await client.get(path, params=params, headers=headers), 422, field)


async def test_a_body_date_at_the_end_of_the_calendar_is_rejected_naming_it(client, db, clinic):
    desk = await make_desk_user(db, clinic)
    before = await _count(db, Patient)
    response = await client.post("/api/patients", headers=bearer(desk),
                                 json={"phone": "9876501235", "firstName": "Ravi", "dateOfBirth": "0001-01-01"})
    assert_envelope(response, 422, "dateOfBirth")
    assert await _count(db, Patient) == before
    response = await client.post("/api/booking/create", headers=bearer(clinic.patient_user), json={
        "clinicianId": clinic.clinician.id, "centreId": clinic.centre.id, "appointmentType": "IN_PERSON",
        "appointmentDate": "9999-12-31", "appointmentTime": "10:00"})
    assert_envelope(response, 422, "appointmentDate")
