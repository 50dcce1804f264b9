from __future__ import annotations

from tests.payments.conftest import _fresh_provider_state, razorpay  # noqa: F401  (Razorpay faked at its HTTP edge)
