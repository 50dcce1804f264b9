"""One-time codes sent by WhatsApp (DESIGN invariant 7).

Six digits from ``secrets``; stored only as an HMAC-SHA256 keyed with a server secret and bound to phone and
purpose (so a leaked table cannot be brute-forced offline and a code for one purpose never serves another);
10 minutes; single use; five wrong tries kill it; only the newest code of a phone and purpose is live.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import ratelimit
from clinicops.auth.exceptions import InvalidOtp
from clinicops.auth.models import OtpRequest
from clinicops.config import Settings, get_settings
from clinicops.db import keep_changes_on_error
from clinicops.kit.phones import mask
from clinicops.kit.timezones import utcnow
from clinicops.logging import get_logger
from clinicops.messaging import service as messaging

log = get_logger("clinicops.auth.otp")

CODE_DIGITS = 6
TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PATIENT_LOGIN = "LOGIN"
STAFF_LOGIN = "STAFF_LOGIN"
CLINIC_REGISTRATION = "CLINIC_REGISTRATION"
CLINIC_LOGIN = "CLINIC_LOGIN"
CLINIC_RESET = "CLINIC_RESET"


def _key(settings: Settings) -> bytes:
    # Derived from the refresh-token secret (which production already requires to be strong and private),
    # under its own label so the two uses never share a key.
    return hmac.new(settings.jwt_refresh_secret.encode(), b"clinicops/otp/v1", hashlib.sha256).digest()


def code_hash(phone: str, purpose: str, code: str, settings: Settings | None = None) -> str:
    message = f"{purpose}\x1f{phone}\x1f{code}".encode()
    return hmac.new(_key(settings or get_settings()), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def send_limits(phone: str, ip: str, settings: Settings | None = None) -> list[ratelimit.Limit]:
    settings = settings or get_settings()
    return [
        ratelimit.Limit(f"otp:phone:{phone}", settings.limit("otp_sends_per_phone")),
        ratelimit.Limit(f"otp:phone:{phone}", settings.limit("otp_sends_per_phone_daily")),
        ratelimit.Limit(f"otp:ip:{ip}", settings.limit("otp_sends_per_ip")),
    ]


async def send(session: AsyncSession, *, phone: str, purpose: str, ip: str, organization_id: int,
               organization_name: str, deliver: bool = True) -> int:
    """Issue a code for ``phone`` and queue it on the WhatsApp outbox; returns its lifetime in seconds.

    ``deliver=False`` (an unknown staff phone) does the same work except the message, so the caller's reply and
    timing do not reveal whether the phone is known. Limits apply either way.
    """
    await ratelimit.check(session, send_limits(phone, ip))
    code = new_code()
    session.add(OtpRequest(phone=phone, purpose=purpose, code_hash=code_hash(phone, purpose, code),
                           expires_at=utcnow() + TTL, attempts=0, ip=ip[:64]))
    if deliver:
        await messaging.queue_message(
            session, template="otp", recipient=phone, organization_id=organization_id,
            params={"otp": code, "organization": organization_name, "minutes": int(TTL.total_seconds() // 60)})
    await session.flush()
    log.info("otp_issued", phone=mask(phone), purpose=purpose, delivered=deliver)
    return int(TTL.total_seconds())


async def verify(session: AsyncSession, *, phone: str, purpose: str, code: str) -> None:
    """Consume the live code or raise :class:`InvalidOtp` (a wrong try is counted even though we refuse)."""
    row = (await session.execute(
        select(OtpRequest).where(OtpRequest.phone == phone, OtpRequest.purpose == purpose)
        .order_by(OtpRequest.created_at.desc(), OtpRequest.id.desc()).limit(1).with_for_update()
    )).scalar_one_or_none()
    now = utcnow()
    if row is None or row.consumed_at is not None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        raise InvalidOtp()
    if not hmac.compare_digest(row.code_hash, code_hash(phone, purpose, (code or "").strip())):
        row.attempts += 1
        await session.flush()
        keep_changes_on_error(session)
        log.info("otp_rejected", phone=mask(phone), purpose=purpose, attempts=row.attempts)
        raise InvalidOtp()
    row.consumed_at = now
    await session.flush()
