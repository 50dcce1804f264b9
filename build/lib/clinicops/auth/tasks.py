"""Daily pruning of identity rows nobody will read again (they would otherwise grow without bound)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.db import unit_of_work
from clinicops.jobs import tasks

# Longer than every rate-limit window (the longest default is a day) and than an OTP's life.
HIT_RETENTION = timedelta(days=2)
OTP_RETENTION = timedelta(days=2)
# Ended sessions stay a while for support questions ("was I signed in on that phone?").
SESSION_RETENTION = timedelta(days=30)


async def prune(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for name, sql in (
        ("rate_limit_hits", "DELETE FROM rate_limit_hits WHERE created_at < now() - CAST(:keep AS interval)"),
        ("otp_requests", "DELETE FROM otp_requests WHERE expires_at < now() - CAST(:keep AS interval)"),
        ("auth_sessions", "DELETE FROM auth_sessions WHERE expires_at < now() - CAST(:keep AS interval)"),
    ):
        keep = {"rate_limit_hits": HIT_RETENTION, "otp_requests": OTP_RETENTION}.get(name, SESSION_RETENTION)
        counts[name] = (await session.execute(text(sql), {"keep": keep})).rowcount or 0
    return counts


@tasks.periodic(cron="17 3 * * *", periodic_id="auth-prune")
@tasks.task(name="auth.prune", queueing_lock="auth_prune")
async def prune_daily(timestamp: int) -> None:
    async with unit_of_work() as session:
        await prune(session)
