"""Rate limits counted in PostgreSQL (table ``rate_limit_hits``), so they hold across every API process.

A check takes a transaction-scoped advisory lock per key, then counts and inserts; concurrent requests for one
key queue on the lock and each sees the hits the others committed (READ COMMITTED re-reads per statement).
The locks are held until the request's unit of work ends, so keep the work after a check short.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import RateLimit
from clinicops.errors import RateLimited


@dataclass(frozen=True)
class Limit:
    key: str
    rule: RateLimit


def _lock_id(key: str) -> int:
    """A signed 64-bit advisory-lock id derived from the key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


async def _lock(session: AsyncSession, keys: list[str]) -> None:
    # Sorted, so two requests locking overlapping key sets can never deadlock.
    for key in sorted(set(keys)):
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(key)})


async def _retry_after(session: AsyncSession, limit: Limit) -> int | None:
    """Seconds until ``limit`` admits one more hit, or None when it admits one now."""
    # The window frees up when the oldest of the last `count` hits leaves it; no such hit = room left.
    row = (await session.execute(text("""
        SELECT now() AS now,
               (SELECT created_at FROM rate_limit_hits
                 WHERE key = :key AND created_at > now() - CAST(:period AS interval)
                 ORDER BY created_at DESC OFFSET :skip LIMIT 1) AS oldest
    """), {"key": limit.key, "period": limit.rule.period, "skip": max(limit.rule.count - 1, 0)})).one()
    if row.oldest is None:
        return None
    return max(1, math.ceil((row.oldest + limit.rule.period - row.now).total_seconds()))


async def check(session: AsyncSession, limits: list[Limit], *, record: bool = True) -> None:
    """Raise :class:`RateLimited` if any limit is full; otherwise count one hit on each (when ``record``)."""
    await _lock(session, [limit.key for limit in limits])
    waits = [wait for limit in limits if (wait := await _retry_after(session, limit)) is not None]
    if waits:
        raise RateLimited(max(waits))
    if record:
        await hit(session, limits)


async def hit(session: AsyncSession, limits: list[Limit]) -> None:
    """Count one hit on each limit's key (e.g. a failed login, recorded after the check that admitted it)."""
    keep: dict[str, timedelta] = {}
    for limit in limits:
        keep[limit.key] = max(keep.get(limit.key, timedelta(0)), limit.rule.period)
    for key in sorted(keep):
        # Hits older than the longest window of the key are never counted again.
        await session.execute(text("DELETE FROM rate_limit_hits "
                                   "WHERE key = :key AND created_at < now() - CAST(:keep AS interval)"),
                              {"key": key, "keep": keep[key]})
        await session.execute(text("INSERT INTO rate_limit_hits (key) VALUES (:key)"), {"key": key})


async def clear(session: AsyncSession, keys: list[str]) -> None:
    """Forget the hits of ``keys`` (a successful sign-in clears that account's failures)."""
    await session.execute(text("DELETE FROM rate_limit_hits WHERE key = ANY(:keys)"), {"keys": list(keys)})
