"""Transaction-scoped PostgreSQL advisory locks: one queue per key, across every API process and worker.

``pg_advisory_xact_lock`` is held until the transaction ends (commit or rollback; nothing to release by hand),
and it is re-entrant within one transaction, so a use case may take a lock that a step it calls takes again.
Because the caller runs under READ COMMITTED, every statement after the lock sees what the previous holder
committed: take the lock *before* reading what it guards and before writing anything.

Keys here are the two-int4 form ``(space, key)``; PostgreSQL keeps those apart from the single-bigint keys that
:mod:`clinicops.auth.ratelimit` uses, so the two can never collide. Every space is listed in :class:`LockSpace`,
so two domains cannot pick the same number by accident.
"""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_INT4 = 2**32


class LockSpace(IntEnum):
    """Namespaces of two-int advisory locks (the first int). Never renumber one that is in use."""

    CLINICIAN_TIME = 1  # key: clinician id; held by every path that puts an appointment on a clinician's time


def int4_key(value: int) -> int:
    """``value`` folded into int4. Ids past 2**31 share a key with another id: that only adds queueing."""
    return (value + 2**31) % _INT4 - 2**31


async def xact_lock(session: AsyncSession, space: LockSpace, key: int) -> None:
    """Wait for, then hold until the transaction ends, the lock ``(space, key)``."""
    await session.execute(text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))"),
                          {"space": int(space), "key": int4_key(key)})
