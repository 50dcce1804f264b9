"""Append-only audit of clinical data access (invariant 10)."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit.models import AuditEvent
from clinicops.authz.principal import Principal


async def record(session: AsyncSession, principal: Principal | None, *, action: str, resource_type: str,
                 resource_id: int | str | None = None, patient_id: int | None = None, outcome: str = "ALLOWED",
                 organization_id: int | None = None, ip: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
    """Write one audit event in the caller's transaction (``action`` such as ``patient.read``)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    role = principal.primary_role.value if principal and principal.primary_role else (
        "PATIENT" if principal and principal.is_patient else None)
    session.add(AuditEvent(
        organization_id=organization_id if organization_id is not None else (
            principal.organization_id if principal else None),
        actor_user_id=principal.user_id if principal else None, actor_role=role, action=action,
        resource_type=resource_type, resource_id=str(resource_id) if resource_id is not None else None,
        patient_id=patient_id, outcome=outcome, request_id=request_id, ip=ip, details=details or {},
    ))


def record_denied(session: AsyncSession, principal: Principal | None, *, action: str, resource_type: str,
                  resource_id: int | str | None = None, ip: str | None = None) -> None:
    """Audit a refused access (outcome DENIED) in its own unit of work, after the request's one has ended.

    The refusal is a 404 that rolls the request's transaction back, so writing the event there would lose it.
    No ``patient_id`` is stored: the id may not exist, and a refused caller learns nothing either way.
    """
    from clinicops import db

    request_id = structlog.contextvars.get_contextvars().get("request_id")

    async def write() -> None:
        try:
            async with db.unit_of_work() as own:
                await record(own, principal, action=action, resource_type=resource_type, resource_id=resource_id,
                             outcome="DENIED", ip=ip, details={"request_id": request_id} if request_id else None)
        except Exception as exc:  # the refusal itself must still reach the caller
            structlog.get_logger("clinicops.audit").error("audit_denied_write_failed", action=action,
                                                          error=type(exc).__name__)

    db.after_end(session, write)
