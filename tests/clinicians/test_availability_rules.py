"""PUT/GET /api/clinicians/:id/availability: replace-all weekly rules, validated before anything changes."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from clinicops.clinicians.models import AvailabilityRule, Clinician
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org


def rule(centre_id: int, **fields) -> dict:
    body = {"centre_id": centre_id, "dayOfWeek": 1, "startTime": "09:00", "endTime": "12:00",
            "slotDurationMinutes": 30, "consultationMode": "IN_PERSON"}
    body.update(fields)
    return body


async def stored(db, clinician_id: int) -> list[tuple]:
    rows = await db.execute(select(AvailabilityRule.centre_id, AvailabilityRule.weekday, AvailabilityRule.start_time,
                                   AvailabilityRule.end_time, AvailabilityRule.mode)
                            .where(AvailabilityRule.clinician_id == clinician_id)
                            .order_by(AvailabilityRule.weekday, AvailabilityRule.start_time, AvailabilityRule.mode))
    return [tuple(r) for r in rows]


async def test_put_replaces_all_rules(client, db, chain, doctor):
    before = (await db.execute(select(Clinician.updated_at).where(Clinician.id == doctor.id))).scalar_one()
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", headers=chain.auth("ADMIN"), json={
        "availability_rules": [rule(chain.north.id, dayOfWeek=0, startTime="18:00", endTime="20:30"),
                               {"centre_id": chain.south.id, "day_of_week": 6, "start_time": "10:00",
                                "end_time": "11:00", "consultation_mode": "ONLINE", "slot_duration_minutes": 15}]})
    assert response.status_code == 200, response.text
    assert await stored(db, doctor.id) == [(chain.north.id, 0, time(18), time(20, 30), "IN_PERSON"),
                                           (chain.south.id, 6, time(10), time(11), "ONLINE")]
    returned = response.json()["data"]  # the bare list, as the admin panel maps over it
    assert [(r["dayOfWeek"], r["startTime"], r["slotDurationMinutes"]) for r in returned] == [
        (0, "18:00", 30), (6, "10:00", 15)]
    after = (await db.execute(select(Clinician.updated_at).where(Clinician.id == doctor.id))).scalar_one()
    assert after > before
    public = await client.get(f"/api/clinicians/{doctor.id}/availability")
    assert [r["dayOfWeek"] for r in public.json()["data"]] == [0, 6]


async def test_both_modes_become_two_rules_and_switched_off_days_are_dropped(client, db, chain, doctor):
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", headers=chain.auth("ADMIN"), json={
        "availabilityRules": [rule(chain.north.id, consultationMode="BOTH"),
                              rule(chain.north.id, dayOfWeek=2, isAvailable=False)]})
    assert response.status_code == 200, response.text
    assert await stored(db, doctor.id) == [(chain.north.id, 1, time(9), time(12), "IN_PERSON"),
                                           (chain.north.id, 1, time(9), time(12), "ONLINE")]


@pytest.mark.parametrize(("bad", "field"), [
    ({"startTime": "9am"}, "availability_rules.1.startTime"),
    ({"endTime": "25:00"}, "availability_rules.1.endTime"),
    ({"startTime": "12:00", "endTime": "11:00"}, "availability_rules.1.endTime"),
    ({"startTime": "12:00", "endTime": "12:00"}, "availability_rules.1.endTime"),
    ({"dayOfWeek": 7}, "availability_rules.1.dayOfWeek"),
    ({"consultationMode": "CARRIER_PIGEON"}, "availability_rules.1.consultationMode"),
    ({"slotDurationMinutes": 2}, "availability_rules.1.slotDurationMinutes"),
    ({"dayOfWeek": 1, "startTime": "11:30", "endTime": "13:00"}, "availability_rules.1.startTime"),  # overlap
])
async def test_invalid_rules_name_the_field_and_change_nothing(client, db, chain, doctor, bad, field):
    before = await stored(db, doctor.id)
    body = {"availability_rules": [rule(chain.north.id), rule(chain.north.id, **{"dayOfWeek": 2, **bad})]}
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", json=body, headers=chain.auth("ADMIN"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"][0]["field"] == field
    assert await stored(db, doctor.id) == before


async def test_same_hours_in_another_mode_or_centre_are_not_overlaps(client, db, chain, doctor):
    body = {"availability_rules": [rule(chain.north.id), rule(chain.north.id, consultationMode="ONLINE"),
                                   rule(chain.south.id), rule(chain.north.id, startTime="12:00", endTime="13:00")]}
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", json=body, headers=chain.auth("ADMIN"))
    assert response.status_code == 200, response.text
    assert len(await stored(db, doctor.id)) == 4


async def test_centre_of_another_organization_is_404_and_changes_nothing(client, db, chain, doctor):
    other = await make_centre(db, org=await make_org(db, slug="other-chain"))
    before = await stored(db, doctor.id)
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", headers=chain.auth("ADMIN"),
                                json={"availability_rules": [rule(other.id)]})
    assert response.status_code == 404
    assert response.json()["error"]["details"][0]["field"] == "availability_rules.0.centre_id"
    assert await stored(db, doctor.id) == before


async def test_roles(client, chain, doctor):
    body = {"availability_rules": [rule(chain.north.id)]}
    for role in ("MANAGER", "FRONT_DESK", "CARE_COORDINATOR"):
        response = await client.put(f"/api/clinicians/{doctor.id}/availability", json=body, headers=chain.auth(role))
        assert response.status_code == 403, role
    ok = await client.put(f"/api/clinicians/{doctor.id}/availability", json=body, headers=chain.auth("CENTRE_MANAGER"))
    assert ok.status_code == 200
    assert (await client.put(f"/api/clinicians/{doctor.id}/availability", json=body)).status_code == 401


async def test_centre_manager_replaces_only_rules_at_their_centres(client, db, chain):
    doctor = await make_clinician(db, org=chain.org, centre=chain.north, weekdays=(1,))
    await add_rule(db, clinician=doctor, centre=chain.south, weekday=4, start=time(14), end=time(18))
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", headers=chain.auth("CENTRE_MANAGER"),
                                json={"availability_rules": [rule(chain.north.id, dayOfWeek=2)]})
    assert response.status_code == 200, response.text
    assert await stored(db, doctor.id) == [(chain.north.id, 2, time(9), time(12), "IN_PERSON"),
                                           (chain.south.id, 4, time(14), time(18), "IN_PERSON")]
    refused = await client.put(f"/api/clinicians/{doctor.id}/availability", headers=chain.auth("CENTRE_MANAGER"),
                               json={"availability_rules": [rule(chain.south.id)]})
    assert refused.status_code == 404


async def test_unknown_clinician_is_404(client, chain):
    response = await client.put("/api/clinicians/987654/availability", headers=chain.auth("ADMIN"),
                                json={"availability_rules": []})
    assert response.status_code == 404
    assert (await client.get("/api/clinicians/987654/availability")).status_code == 404


async def test_a_clinic_doctors_rules_are_not_edited_rule_by_rule_on_the_hospital_surface(client, db, chain, doctor):
    """A clinic's doctor works the week the clinic typed (clinicians/roster.py); editing the rules one by one
    through /api would leave that week and the slots disagreeing: refused, nothing changes. A chain is not
    affected (the tests above)."""
    from tests.builders.clinic import make_clinic

    clinic = await make_clinic(db, name="Typed Week Clinic", doctors=1)
    clinic_doctor = clinic.doctors[0].clinician
    before = await stored(db, clinic_doctor.id)
    assert before  # Monday .. Saturday, as the clinic typed it
    changes = [
        ("PUT", f"/api/clinicians/{clinic_doctor.id}/availability",
         {"availability_rules": [rule(clinic.centre.id, startTime="07:00")]}),
        ("PUT", f"/api/clinicians/{clinic_doctor.id}/availability", {"availability_rules": []}),
        ("POST", f"/api/clinicians/{clinic_doctor.id}/availability/delete-by-day", {"dayOfWeek": 1}),
        ("PUT", f"/api/clinicians/{clinic_doctor.id}", {"availability_rules": [rule(clinic.centre.id)]}),
    ]
    for method, path, body in changes:
        response = await client.request(method, path, headers=clinic.admin.headers, json=body)
        assert response.status_code == 409, (path, response.text)
        assert response.json()["error"]["code"] == "CONFLICT"
    assert await stored(db, clinic_doctor.id) == before
    # another organization's doctor is still simply not found
    response = await client.put(f"/api/clinicians/{doctor.id}/availability", headers=clinic.admin.headers,
                                json={"availability_rules": []})
    assert response.status_code == 404, response.text
