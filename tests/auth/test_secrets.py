"""Invariant 5 for sign-in: no hash in any response; no OTP, password or token in the logs."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from clinicops.auth.models import AuthSession, OtpRequest, User
from clinicops.kit import phones
from clinicops.logging import configure_logging
from tests.builders.auth import auth, last_otp, served_org
from tests.builders.people import PASSWORD, make_staff, next_phone

HASH_KEYS = re.compile(r"(password|code|token)_?hash", re.I)


async def _every_auth_call(client, db) -> tuple[list, dict]:
    """Drive every /api/auth and /api/patient-auth endpoint once; returns responses and the secrets used."""
    org = await served_org(db)
    staff = await make_staff(db, org=org, username="scanner")
    patient_phone = next_phone()
    calls = [
        await client.post("/api/auth/send-otp", json={"phone": phones.national(staff.phone)}),
    ]
    staff_code = await last_otp(db, staff.phone)
    calls.append(await client.post("/api/auth/login/phone-otp",
                                   json={"phone": phones.national(staff.phone), "otp": staff_code}))
    calls.append(await client.post("/api/auth/login/phone-password",
                                   json={"phone": phones.national(staff.phone), "password": PASSWORD}))
    calls.append(await client.post("/api/auth/login/username-password",
                                   json={"username": "scanner", "password": "wrong-password-1"}))
    login = await client.post("/api/auth/login/username-password", json={"username": "scanner", "password": PASSWORD})
    calls.append(login)
    staff_tokens = login.json()["data"]
    calls.append(await client.post("/api/auth/refresh", json={"refreshToken": staff_tokens["refreshToken"]}))
    calls.append(await client.get("/api/auth/me", headers=auth(staff_tokens["accessToken"])))
    calls.append(await client.post("/api/patient-auth/send-otp", json={"phone": phones.wire(patient_phone)}))
    patient_code = await last_otp(db, patient_phone)
    calls.append(await client.post("/api/patient-auth/verify-otp",
                                   json={"phone": phones.wire(patient_phone), "otp": "000000"
                                         if patient_code != "000000" else "111111"}))
    verified = await client.post("/api/patient-auth/verify-otp",
                                 json={"phone": phones.wire(patient_phone), "otp": patient_code})
    calls.append(verified)
    patient_tokens = verified.json()["data"]
    calls.append(await client.post("/api/patient-auth/login-with-password",
                                   json={"username": phones.wire(patient_phone), "password": "whatever-1"}))
    calls.append(await client.post("/api/patient-auth/refresh-token",
                                   json={"refreshToken": patient_tokens["refreshToken"]}))
    calls.append(await client.get("/api/patient-auth/me", headers=auth(patient_tokens["accessToken"])))
    calls.append(await client.post("/api/patient-auth/logout", headers=auth(patient_tokens["accessToken"])))
    calls.append(await client.post("/api/auth/logout", headers=auth(staff_tokens["accessToken"])))
    secrets = {"staff_code": staff_code, "patient_code": patient_code, "password": PASSWORD,
               "staff_access": staff_tokens["accessToken"], "staff_refresh": staff_tokens["refreshToken"],
               "patient_access": patient_tokens["accessToken"], "patient_refresh": patient_tokens["refreshToken"],
               "staff_phone": staff.phone, "patient_phone": patient_phone}
    return calls, secrets


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_no_response_carries_a_hash(client, db):
    calls, _ = await _every_auth_call(client, db)
    assert {c.status_code for c in calls} >= {200, 400, 401}  # successes and refusals were both scanned
    stored = [h for (h,) in (await db.execute(select(User.password_hash).where(User.password_hash.is_not(None))))]
    stored += [h for (h,) in await db.execute(select(OtpRequest.code_hash))]
    stored += [h for (h,) in await db.execute(select(AuthSession.token_hash))]
    assert len(stored) >= 5
    for call in calls:
        assert not [k for k in _keys(call.json()) if HASH_KEYS.search(k)], call.url
        assert not [h for h in stored if h in call.text], call.url


@pytest.fixture
def captured_logs():
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    try:
        yield buffer
    finally:
        configure_logging()


async def test_otps_passwords_and_tokens_never_reach_the_logs(client, db, run_jobs, captured_logs):
    _, secrets = await _every_auth_call(client, db)
    await run_jobs()  # the console provider "sends" the codes and logs that it did
    text = captured_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "signed_in" for line in lines)  # the capture did see our logs
    assert any(line.get("event") == "whatsapp_console_send" for line in lines)
    for name, secret in secrets.items():
        if name.endswith("phone"):
            assert phones.wire(secret)[2:] not in text, name  # masked, never the full number
        elif name.endswith("code"):
            # Six digits standing alone (not a timestamp's microseconds or part of a hex request id).
            assert not re.search(rf"(?<![0-9a-f.]){secret}(?![0-9a-f])", text), name
        else:
            assert secret not in text, name
