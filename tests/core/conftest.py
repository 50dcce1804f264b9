"""Fixtures of the core use-case tests: the two-organization world, and the offline payment provider's ledger
emptied around each test (it lives in the process)."""
from __future__ import annotations

import pytest

from clinicops.payments.providers import base
from clinicops.payments.providers.offline import LEDGER
from tests.core import world as core_world


@pytest.fixture(autouse=True)
def _fresh_provider_state():
    LEDGER.clear()
    base.use_provider(None)
    yield
    LEDGER.clear()
    base.use_provider(None)


@pytest.fixture
async def world(db) -> core_world.World:
    return await core_world.build(db)
