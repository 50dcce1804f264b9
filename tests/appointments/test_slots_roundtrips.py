"""SQL round trips of the public slot reads stay bounded whatever the number of slots, days or appointments."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinicops.config import get_settings
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient
from tests.builders.slots import add_appointment, add_exception, next_date, weekday_of

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
async def public_org(db):
    return await make_org(db, slug=get_settings().default_organization)


@pytest.mark.parametrize("end, minutes, expected_slots", [(time(13), 30, 8), (time(19), 15, 40)])
async def test_available_slots_at_most_three_round_trips(client, db, count_sql, public_org, end, minutes,
                                                         expected_slots):
    centre = await make_centre(db, org=public_org)
    day = next_date(3)
    clinician = await make_clinician(db, org=public_org, centre=centre, weekdays=(weekday_of(day),), start=time(9),
                                     end=end, slot_minutes=minutes)
    patient = await make_patient(db, org=public_org)
    for hour in (9, 10, 11, 12):
        await add_appointment(db, clinician=clinician, centre=centre, patient=patient,
                              starts_at=datetime.combine(day, time(hour), tzinfo=IST), minutes=minutes)
    await add_exception(db, clinician=clinician, on=day, start=time(12, 30), end=time(12, 45))
    params = {"clinicianId": clinician.id, "centreId": centre.id, "date": str(day)}
    with count_sql() as log:
        response = await client.get("/api/booking/available-slots", params=params,
                                    headers={"Authorization": "Bearer stale.token.value"})
    assert response.status_code == 200
    slots = response.json()["data"]["slots"]
    assert len(slots) == expected_slots - 1  # the blocked one is not offered
    assert sum(not s["available"] for s in slots) == 4
    assert 1 <= len(log.queries) <= 3, log.queries
    assert len(log.statements) <= 3, log.statements  # even counting the harness's savepoint


async def test_dates_with_slots_one_pass(client, db, count_sql, public_org):
    centre = await make_centre(db, org=public_org)
    clinician = await make_clinician(db, org=public_org, centre=centre, weekdays=tuple(range(7)), start=time(9),
                                     end=time(19), slot_minutes=15)
    await add_rule(db, clinician=clinician, centre=centre, weekday=2, start=time(19), end=time(21), mode="ONLINE")
    patient = await make_patient(db, org=public_org)
    start = date.today() + timedelta(days=1)
    for offset in range(0, 30, 3):
        await add_appointment(db, clinician=clinician, centre=centre, patient=patient,
                              starts_at=datetime.combine(start + timedelta(days=offset), time(9), tzinfo=IST))
    await add_exception(db, clinician=clinician, on=start + timedelta(days=4), until=start + timedelta(days=6))
    params = {"clinicianId": clinician.id, "centreId": centre.id, "startDate": str(start),
              "endDate": str(start + timedelta(days=29))}
    with count_sql() as log:
        response = await client.get("/api/booking/dates-with-slots", params=params)
    assert response.status_code == 200
    rows = response.json()["data"]
    assert len(rows) == 27 and all(r["slotCount"] >= 38 for r in rows)
    assert 1 <= len(log.queries) <= 4, log.queries
    assert len(log.statements) <= 4, log.statements
