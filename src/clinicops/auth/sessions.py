"""Refresh-token sessions (invariant 6)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth.models import AuthSession, User
from clinicops.kit.timezones import utcnow


async def revoke_all_for_user(session: AsyncSession, user_id: int, reason: str) -> None:
    """End every session of the user and invalidate access tokens already issued (token_version)."""
    await session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                          .values(revoked_at=utcnow(), revoked_reason=reason[:40]))
    await session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
