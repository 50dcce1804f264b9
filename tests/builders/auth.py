"""Builders for sign-in tests: the served organization, codes read from the outbox, signed-in callers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import get_settings
from clinicops.kit import phones
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations.models import Organization
from tests.builders.organizations import make_org
from tests.builders.people import PASSWORD


async def served_org(db: AsyncSession, **fields) -> Organization:
    """The organization the hospital surface's public endpoints serve (settings.default_organization)."""
    return await make_org(db, slug=get_settings().default_organization, name=fields.pop("name", "Main Hospital"),
                          **fields)


async def otp_messages(db: AsyncSession, phone: str) -> list[OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(OutboxMessage.recipient == phones.normalize(phone),
                                                        OutboxMessage.template == "otp")
                            .order_by(OutboxMessage.id.desc()))
    return list(rows.scalars())


async def last_otp(db: AsyncSession, phone: str) -> str:
    """The code the console provider would have sent (the outbox row's params), newest first."""
    messages = await otp_messages(db, phone)
    assert messages, f"no OTP message for {phones.mask(phone)}"
    return messages[0].params["otp"]


async def patient_sign_in(client, db: AsyncSession, phone: str, **profile) -> dict:
    """Send and verify an OTP on the patient surface; returns the response's data."""
    response = await client.post("/api/patient-auth/send-otp", json={"phone": phones.wire(phone)})
    assert response.status_code == 200, response.text
    code = await last_otp(db, phone)
    response = await client.post("/api/patient-auth/verify-otp",
                                 json={"phone": phones.wire(phone), "otp": code, **profile})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def staff_sign_in(client, username: str, password: str = PASSWORD) -> dict:
    response = await client.post("/api/auth/login/username-password",
                                 json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
