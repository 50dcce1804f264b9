"""All SQL of the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.lifecycle import AppointmentStatus
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient
from clinicops.payments.models import WebhookEvent


async def insert_message(session: AsyncSession, values: dict) -> int | None:
    """Insert unless a message with the same dedupe key exists; returns the new id or None."""
    stmt = insert(OutboxMessage).values(**values)
    if values.get("dedupe_key"):
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return (await session.execute(stmt.returning(OutboxMessage.id))).scalar_one_or_none()


async def claim_next(session: AsyncSession, *, now: datetime) -> OutboxMessage | None:
    """Lock the next due message (other workers skip it), mark it SENDING and count the attempt.

    One row, because the caller commits the claim and sends at once: a worker that dies can strand only the
    message it was sending, never a batch of claimed but unsent ones.
    """
    row = (await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == "QUEUED", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )).scalar_one_or_none()
    if row is None:
        return None
    row.status = "SENDING"
    row.attempts += 1
    row.updated_at = now
    await session.flush()
    return row


async def record_outcome(session: AsyncSession, message_id: int, *, status: str, fields: dict) -> None:
    """Store what the provider's answer means for a claimed message (SENT, QUEUED again, FAILED or UNKNOWN)."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id)
        .values(status=status, updated_at=func.now(), **fields))


async def release_stuck_sending(session: AsyncSession, *, older_than: datetime) -> int:
    """A worker that died mid-send leaves its one SENDING row: its outcome is unknown, never blindly resent."""
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


# --- what a message about an appointment needs, in one query ------------------------------------------------

@dataclass(frozen=True)
class AppointmentContext:
    appointment_id: int
    organization_id: int
    organization_name: str
    status: str
    mode: str
    starts_at: datetime | None
    meet_link: str | None
    patient_id: int
    patient_name: str
    patient_phone: str
    clinician_name: str
    clinician_phone: str | None
    centre_name: str
    timezone: str


async def appointment_context(session: AsyncSession, appointment_id: int) -> AppointmentContext | None:
    clinician_user = aliased(User)
    row = (await session.execute(
        select(Appointment.id, Appointment.organization_id, Organization.name, Appointment.status,
               Appointment.mode, Appointment.starts_at, Appointment.meet_link, Patient.id, Patient.full_name,
               Patient.first_name, Patient.phone, clinician_user.full_name, clinician_user.phone, Centre.name,
               Centre.timezone)
        .join(Organization, Organization.id == Appointment.organization_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Clinician, Clinician.id == Appointment.clinician_id)
        .join(clinician_user, clinician_user.id == Clinician.user_id)
        .join(Centre, Centre.id == Appointment.centre_id)
        .where(Appointment.id == appointment_id)
    )).one_or_none()
    if row is None:
        return None
    (appt_id, org_id, org_name, status, mode, starts_at, meet_link, patient_id, full_name, first_name, phone,
     clinician_name, clinician_phone, centre_name, tz) = row
    return AppointmentContext(
        appointment_id=appt_id, organization_id=org_id, organization_name=org_name, status=status, mode=mode,
        starts_at=starts_at, meet_link=meet_link, patient_id=patient_id,
        patient_name=(full_name or first_name or "there").strip() or "there", patient_phone=phone,
        clinician_name=clinician_name or "your doctor", clinician_phone=clinician_phone, centre_name=centre_name,
        timezone=tz or "Asia/Kolkata")


async def withdraw_pending(session: AsyncSession, appointment_id: int, templates: tuple[str, ...],
                           reason: str) -> int:
    """Queued (not yet claimed) messages about an appointment that no longer apply are never sent."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.appointment_id == appointment_id, OutboxMessage.status == "QUEUED",
               OutboxMessage.template.in_(templates))
        .values(status="FAILED", last_error=reason, updated_at=func.now()))
    return result.rowcount or 0


# --- delivery statuses reported by the provider (forward-only) ----------------------------------------------

# A status may only replace one ranked below it: a late "sent" never undoes "delivered", and "failed"
# is believed only before delivery.
STATUS_RANK = {"QUEUED": 0, "SENDING": 1, "UNKNOWN": 1, "SENT": 2, "FAILED": 3, "DELIVERED": 4, "READ": 5}


async def apply_delivery_status(session: AsyncSession, *, provider_message_id: str, status: str,
                                error: str | None = None) -> int:
    rank = STATUS_RANK[status]
    lower = [name for name, r in STATUS_RANK.items() if r < rank]
    values: dict = {"status": status, "updated_at": func.now()}
    if status in ("DELIVERED", "READ"):
        values["delivered_at"] = func.coalesce(OutboxMessage.delivered_at, func.now())
    if status == "FAILED":
        values["last_error"] = (error or "delivery failed")[:500]
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.provider_message_id == provider_message_id, OutboxMessage.status.in_(lower))
        .values(**values))
    return result.rowcount or 0


async def record_webhook_event(session: AsyncSession, *, provider: str, event_id: str, event_type: str | None,
                               payload: dict) -> bool:
    """Store a provider event once; False when it was already stored (a redelivery)."""
    stmt = (insert(WebhookEvent)
            .values(provider=provider, event_id=event_id[:200], event_type=event_type, payload=payload,
                    processed_at=func.now())
            .on_conflict_do_nothing(constraint="uq_webhook_events_provider_event")
            .returning(WebhookEvent.id))
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# --- the message log, always within one organization ----------------------------------------------------------

@dataclass(frozen=True)
class HistoryFilter:
    organization_id: int
    status: str | None = None
    template: str | None = None
    recipient: str | None = None
    appointment_id: int | None = None
    patient_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _filtered(f: HistoryFilter):
    stmt = select(OutboxMessage).where(OutboxMessage.organization_id == f.organization_id)
    if f.status:
        stmt = stmt.where(OutboxMessage.status == f.status)
    if f.template:
        stmt = stmt.where(OutboxMessage.template == f.template)
    if f.recipient:
        stmt = stmt.where(OutboxMessage.recipient == f.recipient)
    if f.appointment_id is not None:
        stmt = stmt.where(OutboxMessage.appointment_id == f.appointment_id)
    if f.patient_id is not None:
        stmt = stmt.where(OutboxMessage.patient_id == f.patient_id)
    if f.created_from is not None:
        stmt = stmt.where(OutboxMessage.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(OutboxMessage.created_at < f.created_to)
    return stmt


async def history(session: AsyncSession, f: HistoryFilter, *, limit: int, offset: int
                  ) -> tuple[list[OutboxMessage], int]:
    base = _filtered(f)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def stats(session: AsyncSession, f: HistoryFilter) -> list[tuple[str, str, int]]:
    """(template, status, count) rows."""
    sub = _filtered(f).subquery()
    rows = await session.execute(
        select(sub.c.template, sub.c.status, func.count()).group_by(sub.c.template, sub.c.status))
    return [(t, s, n) for t, s, n in rows.all()]


async def get_in_organization(session: AsyncSession, message_id: int, organization_id: int) -> OutboxMessage | None:
    return (await session.execute(
        select(OutboxMessage).where(OutboxMessage.id == message_id,
                                    OutboxMessage.organization_id == organization_id))).scalar_one_or_none()


# --- reminders (a system sweep across organizations) ------------------------------------------------------

async def due_for_reminder(session: AsyncSession, *, lead: timedelta, grace: timedelta, now: datetime,
                           limit: int = 500) -> list[int]:
    """Active appointments whose reminder moment (start − lead) fell within the last ``grace``.

    Only appointments booked before that moment qualify (a booking made 3 hours ahead gets no "24 hours"
    reminder). Rows being changed right now (a cancellation) are skipped and seen on the next run; the
    share lock makes a cancellation wait for this transaction, so it withdraws what this run queued.
    """
    rows = await session.execute(
        select(Appointment.id)
        .where(or_(Appointment.status == AppointmentStatus.CONFIRMED,
                   and_(Appointment.status == AppointmentStatus.BOOKED, Appointment.hold_expires_at.is_(None))),
               Appointment.starts_at.is_not(None),
               Appointment.starts_at <= now + lead,
               Appointment.starts_at > now + lead - grace,
               Appointment.created_at < Appointment.starts_at - lead)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
        .with_for_update(read=True, skip_locked=True, of=Appointment))
    return list(rows.scalars())
