"""Invariant 2: the database refuses overlapping active appointments of one clinician; HTTP answers 409."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi import Depends
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.config import get_settings
from clinicops.http.deps import get_db
from clinicops.http.routing import new_router
from clinicops.main import create_app
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient

STARTS = datetime(2031, 3, 4, 4, 30, tzinfo=timezone.utc)  # 10:00 in Asia/Kolkata


def _appointment(org, centre, clinician, patient, starts_at, minutes=30, status="BOOKED") -> Appointment:
    return Appointment(organization_id=org.id, centre_id=centre.id, clinician_id=clinician.id,
                       patient_id=patient.id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                       duration_minutes=minutes, status=status, source="ADMIN", mode="IN_PERSON")


@pytest.fixture
async def scene(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre)
    other = await make_clinician(db, org=org, centre=centre, full_name="Dr. Other")
    patient = await make_patient(db, org=org)
    return org, centre, clinician, other, patient


async def test_overlapping_active_appointments_violate_the_exclusion_constraint(db, scene):
    org, centre, clinician, _other, patient = scene
    db.add(_appointment(org, centre, clinician, patient, STARTS))
    await db.flush()
    with pytest.raises(IntegrityError) as refused:
        async with db.begin_nested():
            db.add(_appointment(org, centre, clinician, patient, STARTS + timedelta(minutes=15)))
            await db.flush()
    assert refused.value.orig.sqlstate == "23P01"


async def test_adjacent_other_clinician_and_released_appointments_are_allowed(db, scene):
    org, centre, clinician, other, patient = scene
    db.add(_appointment(org, centre, clinician, patient, STARTS))
    await db.flush()
    db.add_all([
        _appointment(org, centre, clinician, patient, STARTS + timedelta(minutes=30)),  # touching, '[)'
        _appointment(org, centre, other, patient, STARTS),  # another clinician
        _appointment(org, centre, clinician, patient, STARTS, status="CANCELLED"),  # no longer holds the time
    ])
    await db.flush()


async def test_the_violation_surfaces_as_409_slot_unavailable(db, scene):
    org, centre, clinician, _other, patient = scene
    app = create_app(get_settings(), run_worker=False)
    probe = new_router(prefix="/api/_probe")

    @probe.post("/double-book")
    async def double_book(session: AsyncSession = Depends(get_db)):
        session.add(_appointment(org, centre, clinician, patient, STARTS))
        await session.flush()
        session.add(_appointment(org, centre, clinician, patient, STARTS + timedelta(minutes=10)))
        await session.flush()
        return {"success": True}

    app.include_router(probe)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/api/_probe/double-book")
    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "SLOT_UNAVAILABLE"
