"""The message log for staff (ADMIN, MANAGER) and staff-triggered sends, always within their organization."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES
from clinicops.authz.principal import Principal
from clinicops.errors import Conflict, NotFound, ValidationFailed
from clinicops.kit import phones
from clinicops.kit.timezones import day_bounds, utcnow, zone
from clinicops.lifecycle import AppointmentStatus
from clinicops.messaging import notify, reminders, repository
from clinicops.messaging.models import OUTBOX_STATUSES, OutboxMessage
from clinicops.messaging.repository import HistoryFilter
from clinicops.messaging.templates import TEMPLATES
from clinicops.organizations.models import Organization

FINISHED = frozenset(RELEASED_STATUSES) | {AppointmentStatus.COMPLETED}


async def _zone(session: AsyncSession, principal: Principal):
    org = await session.get(Organization, principal.organization_id)
    return zone(org.timezone if org else "Asia/Kolkata")


def _bound(value: str | None, field: str, tz, *, end: bool) -> datetime | None:
    """A date means that day in the organization's zone (``to`` includes the whole day); or an ISO instant."""
    if not value:
        return None
    try:
        if len(value) == 10:
            start, stop = day_bounds(date.fromisoformat(value), tz)
            return stop if end else start
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(field, f"{field} must be a date (YYYY-MM-DD) or an ISO-8601 time") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=tz)


async def build_filter(session: AsyncSession, principal: Principal, *, status: str | None = None,
                       template: str | None = None, phone: str | None = None, appointment_id: int | None = None,
                       patient_id: int | None = None, date_from: str | None = None,
                       date_to: str | None = None) -> HistoryFilter:
    if status and status.upper() not in OUTBOX_STATUSES:
        raise ValidationFailed("status", f"status must be one of {', '.join(OUTBOX_STATUSES)}")
    if template and template not in TEMPLATES:
        raise ValidationFailed("template", f"template must be one of {', '.join(sorted(TEMPLATES))}")
    recipient = None
    if phone:
        try:
            recipient = phones.normalize(phone)
        except phones.InvalidPhone as exc:
            raise ValidationFailed("phone", str(exc)) from None
    tz = await _zone(session, principal)
    return HistoryFilter(organization_id=principal.organization_id, status=status.upper() if status else None,
                         template=template, recipient=recipient, appointment_id=appointment_id,
                         patient_id=patient_id, created_from=_bound(date_from, "date_from", tz, end=False),
                         created_to=_bound(date_to, "date_to", tz, end=True))


async def history(session: AsyncSession, principal: Principal, *, limit: int, offset: int,
                  **filters) -> tuple[list[OutboxMessage], int]:
    f = await build_filter(session, principal, **filters)
    return await repository.history(session, f, limit=limit, offset=offset)


@dataclass(frozen=True)
class MessageStats:
    """Message counts: per status (every status, zeros included), and per template its total and its statuses."""

    by_status: dict[str, int]
    by_template: dict[str, dict[str, int]]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


async def stats(session: AsyncSession, principal: Principal, **filters) -> MessageStats:
    f = await build_filter(session, principal, **filters)
    by_status = {s: 0 for s in OUTBOX_STATUSES}
    by_template: dict[str, dict[str, int]] = {}
    for template, status, count in await repository.stats(session, f):
        by_status[status] = by_status.get(status, 0) + count
        row = by_template.setdefault(template, {"total": 0})
        row["total"] += count
        row[status] = row.get(status, 0) + count
    return MessageStats(by_status, by_template)


async def message(session: AsyncSession, principal: Principal, message_id: int) -> OutboxMessage:
    row = await repository.get_in_organization(session, message_id, principal.organization_id)
    if row is None:
        raise NotFound("Notification not found")
    return row


async def _active_context(session: AsyncSession, principal: Principal, appointment_id: int):
    ctx = await repository.appointment_context(session, appointment_id)
    if ctx is None or ctx.organization_id != principal.organization_id:
        raise NotFound("Appointment not found")
    if ctx.status in FINISHED:
        raise Conflict(f"The appointment is {ctx.status}; no message is sent for it")
    return ctx


def _staff_key(kind: str, appointment_id: int, request_key: str | None) -> str:
    # A staff resend is a new message on purpose; the client's Idempotency-Key keeps a retried request single.
    return f"staff:{kind}:{appointment_id}:{(request_key or uuid.uuid4().hex)[:100]}"


async def send_confirmation(session: AsyncSession, principal: Principal, *, appointment_id: int,
                            request_key: str | None = None) -> int | None:
    ctx = await _active_context(session, principal, appointment_id)
    params = notify.base_params(ctx) | {"mode": "online" if ctx.mode == "ONLINE" else "in-person",
                                        "appointment_id": ctx.appointment_id}
    return await notify.to_patient(session, ctx, "booking_confirmation", params,
                                   _staff_key("confirm", appointment_id, request_key))


async def send_reminder(session: AsyncSession, principal: Principal, *, appointment_id: int,
                        request_key: str | None = None) -> int | None:
    ctx = await _active_context(session, principal, appointment_id)
    if ctx.starts_at is None or ctx.starts_at <= utcnow():
        raise Conflict("The appointment has already started; no reminder is sent")
    delta = ctx.starts_at - utcnow()
    kind = reminders.ReminderKind("staff", delta, delta, reminders.lead_text(delta))
    return await reminders.queue_reminder(session, appointment_id, kind,
                                          dedupe=_staff_key("reminder", appointment_id, request_key))
