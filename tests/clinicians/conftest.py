"""A small chain for the clinician tests: the public organization ('main'), two centres, one staff member per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest

from clinicops.auth.models import User
from clinicops.config import get_settings
from clinicops.organizations.models import Centre, Organization
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff


@dataclass
class Chain:
    org: Organization
    north: Centre
    south: Centre
    staff: dict[str, User]

    def auth(self, role: str) -> dict[str, str]:
        return bearer(self.staff[role])


@pytest.fixture
async def chain(db) -> Chain:
    org = await make_org(db, slug=get_settings().default_organization, name="Main Hospital")
    north = await make_centre(db, org=org, name="North Centre", city="bangalore")
    south = await make_centre(db, org=org, name="South Centre", city="kochi")
    staff = {
        "ADMIN": await make_staff(db, org=org, role="ADMIN"),
        "MANAGER": await make_staff(db, org=org, role="MANAGER"),
        "CENTRE_MANAGER": await make_staff(db, org=org, role="CENTRE_MANAGER", centres=[north]),
        "CARE_COORDINATOR": await make_staff(db, org=org, role="CARE_COORDINATOR", centres=[north]),
        "FRONT_DESK": await make_staff(db, org=org, role="FRONT_DESK", centres=[north]),
    }
    return Chain(org=org, north=north, south=south, staff=staff)


@pytest.fixture
async def doctor(db, chain):
    """An active clinician at the north centre with Monday and Wednesday rules (09:00-13:00)."""
    return await make_clinician(db, org=chain.org, centre=chain.north, full_name="Dr. North Doctor",
                                weekdays=(1, 3), end=time(13, 0))


@pytest.fixture
async def patient(db, chain):
    return await make_patient(db, org=chain.org)
