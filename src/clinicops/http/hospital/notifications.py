"""/api/notifications: the WhatsApp message log and staff-triggered sends (ADMIN, MANAGER)."""

from __future__ import annotations

from fastapi import Depends, Header, Query
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require
from clinicops.http.hospital.schemas.operations import Message, MessageHistory, MessageQueued, MessageStats
from clinicops.http.hospital.wire import HospitalInput, iso
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit import phones
from clinicops.http.envelope import clamp_limit, ok
from clinicops.messaging import history
from clinicops.messaging.models import OUTBOX_STATUSES, OutboxMessage
from clinicops.messaging.templates import TEMPLATES, render_redacted

router = new_router(prefix="/notifications", tags=["notifications"])
log_readers = require(policies.MANAGE_MESSAGES)
_STATUS = {"enum": list(OUTBOX_STATUSES)}
_TEMPLATE = {"enum": list(TEMPLATES)}


class AppointmentRef(HospitalInput):
    appointment_id: int


def notification(row: OutboxMessage) -> dict:
    """A message as the admin panel shows it; an OTP's code never leaves the server."""
    return {
        "id": row.id, "type": row.template, "template": row.template, "channel": row.channel,
        "status": row.status, "phone": phones.wire(row.recipient), "recipientName": row.recipient_name,
        "patientId": row.patient_id, "appointmentId": row.appointment_id,
        "message": render_redacted(row.template, row.params or {}), "provider": row.provider,
        "providerMessageId": row.provider_message_id, "attempts": row.attempts, "error": row.last_error,
        "createdAt": iso(row.created_at), "sentAt": iso(row.sent_at), "deliveredAt": iso(row.delivered_at),
        "updatedAt": iso(row.updated_at),
    }


def _filters(status, type_, template, phone, appointment_id, appointment_id_snake, patient_id, date_from,
             date_to) -> dict:
    return {"status": status, "template": type_ or template, "phone": phone,
            "appointment_id": appointment_id if appointment_id is not None else appointment_id_snake,
            "patient_id": patient_id, "date_from": date_from, "date_to": date_to}


@router.post("/appointment-confirmation", response_model=Envelope[MessageQueued])
async def send_confirmation(body: AppointmentRef, idempotency_key: str | None = Header(default=None),
                            principal: Principal = Depends(log_readers), db: AsyncSession = Depends(get_db)):
    message_id = await history.send_confirmation(db, principal, appointment_id=body.appointment_id,
                                                 request_key=idempotency_key)
    return ok({"appointmentId": body.appointment_id, "notificationId": message_id, "queued": True},
                   "Appointment confirmation queued")


@router.post("/appointment-reminder", response_model=Envelope[MessageQueued])
async def send_reminder(body: AppointmentRef, idempotency_key: str | None = Header(default=None),
                        principal: Principal = Depends(log_readers), db: AsyncSession = Depends(get_db)):
    message_id = await history.send_reminder(db, principal, appointment_id=body.appointment_id,
                                             request_key=idempotency_key)
    return ok({"appointmentId": body.appointment_id, "notificationId": message_id, "queued": True},
                   "Appointment reminder queued")


@router.get("/history", response_model=Envelope[MessageHistory])
async def message_history(
        status: str | None = Query(None, json_schema_extra=_STATUS),
        type: str | None = Query(None, json_schema_extra=_TEMPLATE, description="The template (same as `template`)."),
        template: str | None = Query(None, json_schema_extra=_TEMPLATE), phone: str | None = None,
        appointmentId: int | None = None, appointment_id: int | None = None,
        patientId: int | None = None, date_from: str | None = Query(default=None, alias="from"),
        date_to: str | None = Query(default=None, alias="to"), limit: int | None = None, offset: int = 0,
        principal: Principal = Depends(log_readers), db: AsyncSession = Depends(get_db)):
    limit = clamp_limit(limit)
    offset = max(0, offset)
    rows, total = await history.history(
        db, principal, limit=limit, offset=offset,
        **_filters(status, type, template, phone, appointmentId, appointment_id, patientId, date_from, date_to))
    return ok({"notifications": [notification(r) for r in rows], "total": total, "limit": limit, "offset": offset})


@router.get("/stats", response_model=Envelope[MessageStats])
async def message_stats(
        type: str | None = Query(None, json_schema_extra=_TEMPLATE, description="The template (same as `template`)."),
        template: str | None = Query(None, json_schema_extra=_TEMPLATE),
        date_from: str | None = Query(default=None, alias="from"),
        date_to: str | None = Query(default=None, alias="to"),
        principal: Principal = Depends(log_readers), db: AsyncSession = Depends(get_db)):
    found = await history.stats(db, principal, template=type or template, date_from=date_from, date_to=date_to)
    return ok({"total": found.total, "byStatus": found.by_status, "byTemplate": found.by_template})


@router.get("/{notification_id:int}", response_model=Envelope[Message])
async def one_message(notification_id: int, principal: Principal = Depends(log_readers),
                      db: AsyncSession = Depends(get_db)):
    return ok(notification(await history.message(db, principal, notification_id)))
