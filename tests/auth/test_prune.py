"""Old rate-limit hits, dead OTP codes and long-expired sessions are pruned; live ones are kept."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from clinicops.auth import tasks
from clinicops.auth.models import AuthSession, OtpRequest, RateLimitHit
from clinicops.kit.timezones import utcnow
from tests.builders.organizations import make_org
from tests.builders.people import make_staff


async def test_prune_removes_only_rows_past_their_retention(db):
    user = await make_staff(db, org=await make_org(db))
    now = utcnow()
    db.add_all([
        RateLimitHit(key="otp:phone:old", created_at=now - timedelta(days=3)),
        RateLimitHit(key="otp:phone:new", created_at=now - timedelta(hours=20)),
        OtpRequest(phone="+919800000001", purpose="LOGIN", code_hash="x" * 64, expires_at=now - timedelta(days=3)),
        OtpRequest(phone="+919800000002", purpose="LOGIN", code_hash="y" * 64, expires_at=now + timedelta(minutes=5)),
        AuthSession(user_id=user.id, family_id=uuid.uuid4(), token_hash="a" * 64, policy="STATIC",
                    surface="hospital", expires_at=now - timedelta(days=31)),
        AuthSession(user_id=user.id, family_id=uuid.uuid4(), token_hash="b" * 64, policy="STATIC",
                    surface="hospital", expires_at=now - timedelta(days=1)),
    ])
    await db.flush()

    counts = await tasks.prune(db)

    assert counts == {"rate_limit_hits": 1, "otp_requests": 1, "auth_sessions": 1}
    assert (await db.execute(select(RateLimitHit.key))).scalars().all() == ["otp:phone:new"]
    assert (await db.execute(select(OtpRequest.phone))).scalars().all() == ["+919800000002"]
    assert (await db.execute(select(func.count()).select_from(AuthSession))).scalar_one() == 1
