"""Races on real, separate connections: one code, one registration, one rotation — whatever arrives at once."""

from __future__ import annotations

import asyncio

from tests.builders.auth import last_otp
from tests.builders.clinic import make_clinic
from tests.builders.people import next_phone


async def test_one_code_signs_in_once_when_sent_twice_at_once(committed):
    factory, http = committed
    async with factory() as session:
        clinic = await make_clinic(session, doctors=0)
        await session.commit()
    phone = clinic.admin.phone
    started = await http.post("/api/v1/auth/clinic/login", json={"whatsappNumber": phone, "clinicId": clinic.clinic_id})
    request_id = started.json()["data"]["loginRequestId"]
    async with factory() as session:
        code = await last_otp(session, phone)
    body = {"loginRequestId": request_id, "otp": code, "password": clinic.admin.password}
    responses = await asyncio.gather(*[http.post("/api/v1/auth/clinic/verify-login", json=body) for _ in range(3)])
    assert sorted(r.status_code for r in responses) == [200, 400, 400]


async def test_a_registration_is_verified_once_when_sent_twice_at_once(committed):
    _factory, http = committed
    phone = next_phone()
    response = await http.post("/api/v1/auth/clinic/register", json={
        "clinicName": "Race Clinic", "address": "1 Race Rd, Mumbai", "whatsappNumber": phone,
        "adminName": "Dr. Race", "subscriptionPlan": "BASIC"})
    assert response.status_code == 201, response.text
    async with _factory() as session:
        code = await last_otp(session, phone)
    body = {"registrationId": response.json()["data"]["registrationId"], "otp": code, "password": "race-pass-123"}
    responses = await asyncio.gather(*[http.post("/api/v1/auth/clinic/verify-registration", json=body)
                                       for _ in range(3)])
    assert sorted(r.status_code for r in responses) == [200, 400, 400]


async def test_a_refresh_token_rotates_once_when_sent_twice_at_once(committed):
    factory, http = committed
    async with factory() as session:
        clinic = await make_clinic(session, doctors=0)
        await session.commit()
    phone = clinic.admin.phone
    started = await http.post("/api/v1/auth/clinic/login", json={"whatsappNumber": phone, "clinicId": clinic.clinic_id})
    async with factory() as session:
        code = await last_otp(session, phone)
    signed_in = (await http.post("/api/v1/auth/clinic/verify-login", json={
        "loginRequestId": started.json()["data"]["loginRequestId"], "otp": code,
        "password": clinic.admin.password})).json()["data"]
    responses = await asyncio.gather(*[http.post("/api/v1/auth/refresh",
                                                 json={"refreshToken": signed_in["refreshToken"]})
                                       for _ in range(2)])
    # one rotation wins; the other is a reuse, which ends the session (so the winner's token dies too)
    assert sorted(r.status_code for r in responses) == [200, 401]
    winner = next(r for r in responses if r.status_code == 200).json()["data"]
    again = await http.post("/api/v1/auth/refresh", json={"refreshToken": winner["refreshToken"]})
    assert again.status_code == 401
