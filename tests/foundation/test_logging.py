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


@pytest.mark.parametrize("phone", ["+915123456789", "+919876543210", "919876543210", "9876543210", "98765 43210",
                                   "+91 98765-43210", "+1 415 555 2671", "+14155552671", "91-9876543210"])
def test_every_phone_form_the_api_accepts_is_masked(log_stream, phone):
    get_logger("test").info("otp_requested", note=f"sending to {phone} now", phone=phone)
    (line,) = _lines(log_stream)
    digits = "".join(ch for ch in phone if ch.isdigit())
    for field in ("note", "phone"):
        assert digits[-10:-4] not in "".join(ch for ch in line[field] if ch.isdigit()), line[field]
        assert line[field].replace(" ", "").endswith(digits[-4:]) or digits[-4:] in line[field]


def test_dates_ids_and_offsets_are_not_mistaken_for_phones(log_stream):
    get_logger("test").info("ordinary", note="on 2026-11-27 at 10:30+05:30 for /api/appointments/1234 (rp 42)")
    (line,) = _lines(log_stream)
    assert line["note"] == "on 2026-11-27 at 10:30+05:30 for /api/appointments/1234 (rp 42)"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_development_on_a_terminal_reads_as_lines_and_everything_else_is_json():
    from clinicops.config import Settings
    from clinicops.logging import _use_console

    assert _use_console(_Terminal(), Settings(env="development")) is True
    assert _use_console(io.StringIO(), Settings(env="development")) is False  # piped: a shipper reads it
    assert _use_console(_Terminal(), Settings(env="staging")) is False
    assert _use_console(_Terminal(), Settings(env="development", log_format="json")) is False
    assert _use_console(io.StringIO(), Settings(env="production", log_format="console")) is True


def test_console_lines_are_readable_and_still_scrubbed():
    stream = io.StringIO()
    saved = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging(stream=stream, console=True)
        get_logger("test").info("booking_made", phone=PHONE, password=PASSWORD)
    finally:
        structlog.configure(**saved)
        root.handlers, root.level = saved_handlers, saved_level
    text = stream.getvalue()
    assert "booking_made" in text and not text.lstrip().startswith("{")
    assert PHONE not in text and PASSWORD not in text and "\x1b[" not in text  # no colours into a non-terminal


def test_log_level_setting_is_validated_and_applied(monkeypatch):
    from clinicops.config import Settings

    assert Settings(log_level="warning").log_level == "WARNING"
    with pytest.raises(ValueError):
        Settings(log_level="LOUD")
    stream = io.StringIO()
    saved = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging("WARNING", stream=stream)
        get_logger("test").info("chatty")
        logging.getLogger("uvicorn.error").info("Started server process")
        get_logger("test").warning("important")
    finally:
        structlog.configure(**saved)
        root.handlers, root.level = saved_handlers, saved_level
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["important"]


def test_a_served_process_writes_only_json_lines_without_colour_codes(database_url, tmp_path):
    """As deployed (staging, output to a pipe): the server's own start and stop lines are JSON too."""
    import os

    import httpx

    from tests.processes import free_port, start, stop, wait_ready

    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "CLINICOPS_ENV": "staging", "CLINICOPS_LOG_LEVEL": "INFO"}
    proc = start(["serve", "--port", str(port), "--workers", "2"], env, log)
    try:
        wait_ready(port, proc, log)
        httpx.post(f"http://127.0.0.1:{port}/api/patient-auth/send-otp", json={"phone": "+915123456789"}, timeout=10)
        httpx.get(f"http://127.0.0.1:{port}/api/nothing-here?phone=%2B915123456789", timeout=10)
    finally:
        status = stop(proc)
    text = log.read_text()
    assert status == 0, text
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        assert "\x1b[" not in line, line
        parsed.append(json.loads(line))  # fails on any plain-text line
    events = " ".join(str(entry.get("event")) for entry in parsed)
    assert "serve_starting" in events and "Application startup complete" in events
    assert "Shutting down" in events or "shutdown_complete" in events
    assert "5123456789" not in text and "123456789" not in text
    assert all("level" in entry and "timestamp" in entry for entry in parsed)


def test_gunicorn_with_the_json_logger_class_writes_only_json_lines(database_url, tmp_path):
    """The README's gunicorn command: gunicorn's own arbiter and worker lines are JSON like the app's."""
    import os
    import subprocess
    import sys

    import httpx

    from tests.processes import ROOT, free_port, stop, wait_ready

    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "CLINICOPS_ENV": "staging", "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "clinicops.main:create_app()", "-k", "uvicorn_worker.UvicornWorker",
             "--no-control-socket", "-w", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "10",
             "--logger-class", "clinicops.gunicorn_logging.JsonLogger"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        wait_ready(port, proc, log)
        httpx.get(f"http://127.0.0.1:{port}/api/nothing-here", timeout=10)
    finally:
        status = stop(proc)
    text = log.read_text()
    assert status == 0, text
    events = []
    for line in (line for line in text.splitlines() if line.strip()):
        assert "\x1b[" not in line, line
        events.append(str(json.loads(line).get("event")))  # fails on any plain-text line
    assert any("Starting gunicorn" in event for event in events), events
    assert any("Booting worker" in event for event in events), events
