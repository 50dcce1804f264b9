"""GET /api/payments/patient/:id — a patient's payments for staff, scoped like the rest of the history."""

from __future__ import annotations

from tests.builders.organizations import make_org
from tests.builders.payments import make_appointment, make_desk_user
from tests.builders.people import bearer, make_staff


async def test_staff_read_a_patients_payments_in_their_scope(client, db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    desk = await make_desk_user(db, clinic, "FRONT_DESK")
    paid = await client.post(f"/api/appointments/{appointment.id}/confirm-direct-payment", headers=bearer(desk),
                             json={"paymentMethod": "UPI"})
    assert paid.status_code == 200, paid.text

    mine = await client.get(f"/api/payments/patient/{clinic.patient.id}", headers=bearer(desk))
    assert mine.status_code == 200, mine.text
    rows = mine.json()["data"]
    rows = rows["payments"]
    assert len(rows) == 1 and rows[0]["status"] == "SUCCESS"

    elsewhere = await make_desk_user(db, clinic, "FRONT_DESK", centre=clinic.other_centre)
    theirs = await client.get(f"/api/payments/patient/{clinic.patient.id}", headers=bearer(elsewhere))
    rows = theirs.json()["data"]
    rows = rows["payments"]
    assert theirs.status_code == 200 and rows == []

    stranger = await make_staff(db, org=await make_org(db), role="ADMIN")
    other_org = await client.get(f"/api/payments/patient/{clinic.patient.id}", headers=bearer(stranger))
    assert other_org.status_code == 404 and other_org.json()["error"]["code"] == "NOT_FOUND"
