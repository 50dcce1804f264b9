from __future__ import annotations

import pytest
import respx

from clinicops.config import get_settings, reset_settings
from clinicops.payments.providers import base
from clinicops.payments.providers.offline import LEDGER
from tests.builders.payments import make_clinic

RAZORPAY = "https://api.razorpay.com/v1"


@pytest.fixture(autouse=True)
def _fresh_provider_state():
    LEDGER.clear()
    base.use_provider(None)
    yield
    LEDGER.clear()
    base.use_provider(None)


@pytest.fixture
async def clinic(db):
    return await make_clinic(db)


@pytest.fixture
def razorpay(monkeypatch):
    """The real Razorpay adapter with test keys; its far side is faked by respx (nothing leaves the machine)."""
    monkeypatch.setenv("CLINICOPS_PAYMENT_PROVIDER", "razorpay")
    monkeypatch.setenv("CLINICOPS_RAZORPAY_BASE_URL", RAZORPAY)
    monkeypatch.setenv("CLINICOPS_RAZORPAY_KEY_ID", "rzp_test_K3yId0000001")
    monkeypatch.setenv("CLINICOPS_RAZORPAY_KEY_SECRET", "test-key-secret-for-razorpay")
    monkeypatch.setenv("CLINICOPS_RAZORPAY_WEBHOOK_SECRET", "test-webhook-secret-for-razorpay")
    monkeypatch.setenv("CLINICOPS_OUTBOUND_TIMEOUT_S", "2")
    reset_settings()
    with respx.mock(base_url=RAZORPAY, assert_all_called=False) as mock:
        yield mock
    monkeypatch.undo()
    reset_settings()
    assert get_settings().payment_provider == "offline"
