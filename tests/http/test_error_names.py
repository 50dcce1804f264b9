"""Errors in the core's words, answered in the caller's: the core names domain fields (``centre_id``) and its own
refusals; the hospital surface names the field in the casing the request carried it (the website's camelCase,
the admin panel's snake_case) and words the refusals that point at its own endpoints (http/hospital/errors.py)."""

from __future__ import annotations

import pytest

from clinicops.appointments import booking
from clinicops.auth import staff
from clinicops.authz.principal import Principal, Role
from clinicops.errors import NotFound, ValidationFailed
from tests.builders.appointments import make_world, staff_body, web_body
from tests.builders.people import bearer, next_phone

MISSING = 999_999


def _field(response) -> str:
    assert response.status_code == 404, response.text
    return response.json()["error"]["details"][0]["field"]


async def test_the_core_names_domain_fields(db):
    world = await make_world(db)
    with pytest.raises(NotFound) as refused:
        await booking.book(db, organization_id=world.org.id, patient_id=world.patient.id,
                           clinician_id=world.clinician.id, centre_id=MISSING, mode="IN_PERSON",
                           starts_at=world.at("10:00"), source="ADMIN", actor_user_id=world.admin.id, actor="STAFF")
    assert refused.value.details == [{"field": "centre_id", "message": "Centre not found"}]


async def test_website_booking_names_the_field_as_the_website_sent_it(client, db):
    world = await make_world(db)
    headers = bearer(world.patient_user)
    camel = await client.post("/api/booking/create", json=web_body(world, centreId=MISSING), headers=headers)
    assert _field(camel) == "centreId"
    snake_body = {k: v for k, v in web_body(world).items() if k not in ("centreId", "clinicianId")}
    snake = await client.post("/api/booking/create", headers=headers,
                              json=snake_body | {"centre_id": MISSING, "clinician_id": world.clinician.id})
    assert _field(snake) == "centre_id"


async def test_admin_panel_booking_names_the_field_as_the_panel_sent_it(client, db):
    world = await make_world(db)
    headers = bearer(world.admin)
    snake = await client.post("/api/appointments", headers=headers,
                              json=staff_body(world, starts_at=world.at("10:00"), clinician_id=MISSING))
    assert _field(snake) == "clinician_id"
    camel_body = {"patientId": world.patient.id, "clinicianId": MISSING, "centreId": world.centre.id,
                  "appointmentType": "IN_PERSON", "scheduledStartAt": world.at("10:00").isoformat()}
    camel = await client.post("/api/appointments", headers=headers, json=camel_body)
    assert _field(camel) == "clinicianId"


async def test_refusals_pointing_at_hospital_paths_are_worded_by_the_surface(client, db):
    world = await make_world(db)
    admin = Principal(user_id=world.admin.id, user_type="STAFF", organization_id=world.org.id,
                      roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})
    with pytest.raises(ValidationFailed) as refused:
        await staff.create_user(db, admin, full_name="Dr. X", phone=next_phone(), role=Role.CLINICIAN,
                                centre_ids=[world.centre.id])
    assert refused.value.reason == "staff.clinician_role" and "/api" not in refused.value.message
    response = await client.post("/api/users", headers=bearer(world.admin), json={
        "fullName": "Dr. X", "phone": next_phone()[-10:], "role": "CLINICIAN", "centreIds": [world.centre.id]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["message"] == "create and manage clinicians through /api/clinicians"
    assert error["details"] == [{"field": "role", "message": error["message"]}]
