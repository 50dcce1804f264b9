"""All SQL of the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.messaging.models import OutboxMessage


async def insert_message(session: AsyncSession, values: dict) -> int | None:
    """Insert unless a message with the same dedupe key exists; returns the new id or None."""
    stmt = insert(OutboxMessage).values(**values)
    if values.get("dedupe_key"):
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return (await session.execute(stmt.returning(OutboxMessage.id))).scalar_one_or_none()


async def claim_due(session: AsyncSession, *, limit: int, now: datetime) -> list[OutboxMessage]:
    """Lock due messages (other workers skip them) and mark them SENDING."""
    rows = (await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == "QUEUED", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )).scalars().all()
    for row in rows:
        row.status = "SENDING"
        row.attempts += 1
        row.updated_at = now
    await session.flush()
    return list(rows)


async def release_stuck_sending(session: AsyncSession, *, older_than: datetime) -> int:
    """A worker that died mid-send leaves SENDING rows: their outcome is unknown, never blindly resent."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "SENDING", OutboxMessage.updated_at < older_than)
        .values(status="UNKNOWN", last_error="worker stopped during send", updated_at=func.now())
    )
    return result.rowcount or 0


async def get(session: AsyncSession, message_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id)


async def for_recipient(session: AsyncSession, recipient: str, *, limit: int = 50) -> list[OutboxMessage]:
    rows = await session.execute(
        select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return list(rows.scalars())


async def recent(session: AsyncSession, *, limit: int = 50) -> list[OutboxMessage]:
    rows = await session.execute(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return list(rows.scalars())
