"""Development-only views (never mounted in staging or production)."""

from __future__ import annotations

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.errors import ValidationFailed
from clinicops.http.deps import get_db
from clinicops.http.hospital.schemas.operations import ConsoleMessage
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit import phones
from clinicops.http.envelope import ok
from clinicops.messaging import service as messaging

router = new_router(prefix="/dev", tags=["dev"])


@router.get("/messages", response_model=Envelope[list[ConsoleMessage]])
async def messages(phone: str | None = Query(default=None), db: AsyncSession = Depends(get_db)):
    """WhatsApp messages the console provider stored, newest first."""
    if phone:
        try:
            recipient = phones.normalize(phone)
        except phones.InvalidPhone as exc:
            raise ValidationFailed("phone", str(exc)) from None
    else:
        recipient = None
    rows = await messaging.stored_messages(db, recipient)
    return ok([{"to": phones.wire(m.recipient), "template": m.template, "body": m.body, "params": m.params,
                "status": m.status, "createdAt": m.created_at} for m in rows])
