"""Two clinics, each with a signed-in admin and two signed-in doctors with weekly hours (tests/builders/clinic.py).

Privacy tests use both: what clinic A's admin or doctor may not see of clinic B, and what doctor 1 may not see of
doctor 2 in the same clinic.
"""

from __future__ import annotations

import pytest

from tests.builders.clinic import Clinic, make_clinic


@pytest.fixture
async def clinic_a(db) -> Clinic:
    return await make_clinic(db, name="Sunrise Clinic")


@pytest.fixture
async def clinic_b(db) -> Clinic:
    return await make_clinic(db, name="Lakeside Clinic")


@pytest.fixture
async def clinics(clinic_a, clinic_b) -> tuple[Clinic, Clinic]:
    return clinic_a, clinic_b
