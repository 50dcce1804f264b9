"""Secrets never reach the logs; phone numbers appear only masked (invariant 5)."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from clinicops.logging import configure_logging, get_logger

PASSWORD = "Hunter2-very-secret"
OTP = "481516"
REFRESH = "rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
PHONE = "+919876543210"


@pytest.fixture
def log_stream():
    saved_config = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(stream=stream)
    try:
        yield stream
    finally:
        structlog.configure(**saved_config)
        root.handlers, root.level = saved_handlers, saved_level


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_structlog_event_drops_secrets_and_masks_phones(log_stream):
    get_logger("test").info(
        "sign_in", password=PASSWORD, otp=OTP, refresh_token=REFRESH, authorization=f"Bearer {JWT}",
        headers={"Authorization": f"Bearer {JWT}", "X-Api-Key": "k-123456789"}, phone=PHONE,
        note=f"patient {PHONE} asked, header was Bearer {JWT}")
    text = log_stream.getvalue()
    for secret in (PASSWORD, OTP, REFRESH, JWT, PHONE, "9876543210", "k-123456789"):
        assert secret not in text, secret
    (line,) = _lines(log_stream)
    assert line["event"] == "sign_in"
    assert line["phone"] == "+91******3210"
    assert "+91******3210" in line["note"]
    assert line["password"] == line["otp"] == line["refresh_token"] == "***"


def test_standard_library_records_are_scrubbed_too(log_stream):
    logging.getLogger("thirdparty").warning("calling %s with Authorization: Bearer %s", PHONE, JWT,
                                            extra={"otp_code": OTP})
    text = log_stream.getvalue()
    assert JWT not in text and PHONE not in text and OTP not in text
    (line,) = _lines(log_stream)
    assert "+91******3210" in line["event"]
    assert line["level"] == "warning"
