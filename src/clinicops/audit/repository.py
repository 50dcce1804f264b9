"""Reads of the audit trail (always scoped to one organization)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit.models import AuditEvent


async def events(session: AsyncSession, organization_id: int, *, patient_id: int | None = None,
                 resource_type: str | None = None, resource_id: int | str | None = None,
                 action: str | None = None, outcome: str | None = None, limit: int = 100) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.organization_id == organization_id)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    if resource_type is not None:
        stmt = stmt.where(AuditEvent.resource_type == resource_type)
    if resource_id is not None:
        stmt = stmt.where(AuditEvent.resource_id == str(resource_id))
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if outcome is not None:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    rows = await session.execute(stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit))
    return list(rows.scalars())


async def page(session: AsyncSession, organization_id: int, *, patient_id: int, limit: int,
               offset: int) -> tuple[list[AuditEvent], int]:
    """One page of a patient's audit trail in one organization, newest first, and its length."""
    scope = (AuditEvent.organization_id == organization_id, AuditEvent.patient_id == patient_id)
    total = (await session.execute(select(func.count()).select_from(AuditEvent).where(*scope))).scalar_one()
    rows = await session.execute(select(AuditEvent).where(*scope)
                                 .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                 .limit(limit).offset(offset))
    return list(rows.scalars()), total
