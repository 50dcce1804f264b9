"""A read-only clinic (bill unpaid past its grace) is read-only on the hospital surface too: its staff's token
reaches /api/..., and every change there answers 402 SUBSCRIPTION_PAST_DUE and changes nothing, while reads and
signing out still work. Another clinic, a hospital chain and the clinic's patients are not affected."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from clinicops.appointments.models import Appointment
from clinicops.kit.timezones import today_in, zone
from clinicops.organizations import plans
from clinicops.organizations.models import Centre
from tests.builders.availability import at
from tests.builders.billing import make_billed_clinic
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def _booking(clinic, patient, day) -> dict:
    doctor = clinic.doctors[0].clinician
    return {"patient_id": patient.id, "clinician_id": doctor.id, "centre_id": clinic.centre.id,
            "appointment_type": "IN_PERSON", "scheduled_start_at": at(day, "10:00", clinic.centre).isoformat()}


def _next_monday(clinic):
    today = today_in(zone(clinic.org.timezone))
    return today + timedelta(days=7 - today.weekday())


async def test_a_past_due_clinics_staff_cannot_change_anything_through_the_hospital_surface(client, db):
    late = await make_billed_clinic(db, name="Late", doctors=1)
    fine = await make_billed_clinic(db, name="Fine", doctors=1)
    late_patient = await make_patient(db, org=late.org)
    fine_patient = await make_patient(db, org=fine.org)
    await plans.mark_past_due(db, late.org.id)
    day = _next_monday(late)

    renamed = await client.put(f"/api/centres/{late.centre.id}", headers=late.admin.headers, json={"name": "X"})
    assert _error(renamed) == (402, "SUBSCRIPTION_PAST_DUE")
    booked = await client.post("/api/appointments", headers=late.admin.headers,
                               json=_booking(late, late_patient, day))
    assert _error(booked) == (402, "SUBSCRIPTION_PAST_DUE")
    # nothing was changed
    assert (await db.get(Centre, late.centre.id)).name == "Late"
    assert (await db.execute(select(func.count()).select_from(Appointment).where(
        Appointment.organization_id == late.org.id))).scalar_one() == 0

    # reads still work
    listed = await client.get("/api/centres", headers=late.admin.headers)
    assert listed.status_code == 200 and [c["name"] for c in listed.json()["data"]] == ["Late"]
    # the other clinic is not affected
    response = await client.post("/api/appointments", headers=fine.admin.headers,
                                 json=_booking(fine, fine_patient, _next_monday(fine)))
    assert response.status_code == 201, response.text
    # signing out is still allowed
    assert (await client.post("/api/auth/logout", headers=late.admin.headers)).status_code == 200


async def test_a_bad_token_is_still_a_401_and_a_chain_has_no_bill(client, db):
    late = await make_billed_clinic(db, name="Late", doctors=1)
    await plans.mark_past_due(db, late.org.id)
    refused = await client.put(f"/api/centres/{late.centre.id}", headers={"Authorization": "Bearer nonsense"},
                               json={"name": "X"})
    assert refused.status_code == 401

    chain = await make_org(db, slug="read-only-chain")
    centre = await make_centre(db, org=chain, name="Chain Centre")
    admin = await make_staff(db, org=chain, role="ADMIN")
    changed = await client.put(f"/api/centres/{centre.id}", headers=bearer(admin), json={"name": "Chain Renamed"})
    assert changed.status_code == 200, changed.text
