from __future__ import annotations

import pytest

from tests.builders.payments import make_clinic


@pytest.fixture
async def clinic(db):
    return await make_clinic(db)
