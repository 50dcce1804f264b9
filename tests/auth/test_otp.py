"""One-time codes: hashing, expiry, single use, attempt limit, and send limits counted in PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from clinicops.auth import otp
from clinicops.auth.models import OtpRequest, RateLimitHit
from clinicops.config import get_settings
from clinicops.errors import RateLimited
from clinicops.kit import phones
from clinicops.organizations.models import Organization
from tests.builders.auth import last_otp, otp_messages, served_org
from tests.builders.people import make_patient, next_phone

SEND = "/api/patient-auth/send-otp"
VERIFY = "/api/patient-auth/verify-otp"


async def _verify(client, phone: str, code: str) -> httpx.Response:
    return await client.post(VERIFY, json={"phone": phones.wire(phone), "otp": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_is_six_digits_stored_only_as_a_keyed_hash(client, db):
    await served_org(db)
    phone = next_phone()
    assert (await client.post(SEND, json={"phone": phones.wire(phone)})).status_code == 200
    code = await last_otp(db, phone)
    row = (await db.execute(select(OtpRequest).where(OtpRequest.phone == phone))).scalar_one()
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash
    assert row.code_hash == otp.code_hash(phone, otp.PATIENT_LOGIN, code)
    # Bound to phone and purpose: the same code hashes differently for another phone or purpose.
    assert row.code_hash != otp.code_hash(next_phone(), otp.PATIENT_LOGIN, code)
    assert row.code_hash != otp.code_hash(phone, otp.STAFF_LOGIN, code)
    assert timedelta(minutes=9) < row.expires_at - row.created_at <= timedelta(minutes=10, seconds=5)


async def test_expired_code_is_refused_with_400(client, db):
    await served_org(db)
    phone = next_phone()
    await client.post(SEND, json={"phone": phones.wire(phone)})
    code = await last_otp(db, phone)
    await db.execute(update(OtpRequest).where(OtpRequest.phone == phone)
                     .values(expires_at=func.now() - timedelta(seconds=1)))
    response = await _verify(client, phone, code)
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"


async def test_code_works_once(client, db):
    await served_org(db)
    phone = next_phone()
    await client.post(SEND, json={"phone": phones.wire(phone)})
    code = await last_otp(db, phone)
    assert (await _verify(client, phone, code)).status_code == 200
    assert (await _verify(client, phone, code)).status_code == 400


async def test_five_wrong_tries_kill_the_code(client, db):
    await served_org(db)
    phone = next_phone()
    await client.post(SEND, json={"phone": phones.wire(phone)})
    code = await last_otp(db, phone)
    for _ in range(otp.MAX_ATTEMPTS):
        response = await _verify(client, phone, _wrong(code))
        assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_OTP"
    # The refused requests rolled back, but the counted tries were kept.
    attempts = (await db.execute(select(OtpRequest.attempts).where(OtpRequest.phone == phone))).scalar_one()
    assert attempts == otp.MAX_ATTEMPTS
    assert (await _verify(client, phone, code)).status_code == 400


async def test_four_wrong_tries_leave_the_code_usable(client, db):
    await served_org(db)
    phone = next_phone()
    await client.post(SEND, json={"phone": phones.wire(phone)})
    code = await last_otp(db, phone)
    for _ in range(otp.MAX_ATTEMPTS - 1):
        assert (await _verify(client, phone, _wrong(code))).status_code == 400
    assert (await _verify(client, phone, code)).status_code == 200


async def test_a_new_code_replaces_the_previous_one(client, db):
    await served_org(db)
    phone = next_phone()
    await client.post(SEND, json={"phone": phones.wire(phone)})
    first = await last_otp(db, phone)
    await client.post(SEND, json={"phone": phones.wire(phone)})
    second = await last_otp(db, phone)
    if first != second:
        assert (await _verify(client, phone, first)).status_code == 400
    assert (await _verify(client, phone, second)).status_code == 200


async def test_fourth_send_in_ten_minutes_is_429_with_retry_after(client, db):
    await served_org(db)
    phone = next_phone()
    for _ in range(3):
        assert (await client.post(SEND, json={"phone": phones.wire(phone)})).status_code == 200
    response = await client.post(SEND, json={"phone": phones.wire(phone)})
    assert response.status_code == 429 and response.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert len(await otp_messages(db, phone)) == 3
    # Other phones are unaffected.
    assert (await client.post(SEND, json={"phone": phones.wire(next_phone())})).status_code == 200


async def test_daily_limit_per_phone(client, db):
    await served_org(db)
    phone = next_phone()
    sent = 0
    while sent < 10:
        for _ in range(3 if sent + 3 <= 10 else 10 - sent):
            assert (await client.post(SEND, json={"phone": phones.wire(phone)})).status_code == 200
            sent += 1
        # Age the hits out of the 10-minute window but keep them inside the day.
        await db.execute(update(RateLimitHit).where(RateLimitHit.key == f"otp:phone:{phone}")
                         .values(created_at=func.now() - timedelta(hours=1)))
    response = await client.post(SEND, json={"phone": phones.wire(phone)})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 600  # waits for the day window, not the 10-minute one


async def test_per_ip_limit(app, client, db):
    await served_org(db)
    for _ in range(30):
        assert (await client.post(SEND, json={"phone": phones.wire(next_phone())})).status_code == 200
    response = await client.post(SEND, json={"phone": phones.wire(next_phone())})
    assert response.status_code == 429 and "Retry-After" in response.headers
    other = httpx.ASGITransport(app=app, client=("198.51.100.77", 40000))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as elsewhere:
        assert (await elsewhere.post(SEND, json={"phone": phones.wire(next_phone())})).status_code == 200


async def test_same_reply_for_registered_and_unknown_phones(client, db):
    org = await served_org(db)
    known = await make_patient(db, org=org)
    bodies = []
    for phone in (known.phone, next_phone()):
        response = await client.post(SEND, json={"phone": phones.wire(phone)})
        body = response.json()
        body["data"].pop("phone")
        bodies.append((response.status_code, body))
    assert bodies[0] == bodies[1]
    assert bodies[0][1]["data"]["isNewUser"] is False


async def _committed_org(factory) -> int:
    async with factory() as session:
        org = Organization(slug=get_settings().default_organization, name="Main Hospital", kind="CHAIN")
        session.add(org)
        await session.commit()
        return org.id


async def test_send_limit_holds_under_concurrency(committed):
    factory, http = committed
    await _committed_org(factory)
    phone = next_phone()
    responses = await asyncio.gather(*[http.post(SEND, json={"phone": phones.wire(phone)}) for _ in range(8)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 3 + [429] * 5
    async with factory() as session:
        rows = (await session.execute(select(func.count()).select_from(OtpRequest)
                                      .where(OtpRequest.phone == phone))).scalar_one()
        assert rows == 3


async def test_send_limit_counts_across_separate_sessions(committed):
    """Two 'processes' (separate connections, each committing) share one count."""
    factory, _ = committed
    org_id = await _committed_org(factory)
    phone = next_phone()
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        async with factory() as session:
            await otp.send(session, phone=phone, purpose=otp.PATIENT_LOGIN, ip=ip, organization_id=org_id,
                           organization_name="Main")
            await session.commit()
    async with factory() as other_process:
        try:
            await otp.send(other_process, phone=phone, purpose=otp.PATIENT_LOGIN, ip="198.51.100.4",
                           organization_id=org_id, organization_name="Main")
        except RateLimited as exc:
            assert exc.retry_after_s > 0
        else:
            raise AssertionError("the fourth send was not limited")
