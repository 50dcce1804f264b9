"""Messages caused by business events, queued in the caller's transaction through the outbox.

Each function builds the template parameters (dates and times in the centre's zone) and a dedupe key so a
retried request or job never sends a message twice. Everything a message needs is loaded in one query
(:func:`clinicops.messaging.repository.appointment_context`). The messages of a status change or a move are
this domain's lifecycle effects (registered at the end of this module).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.kit.money import to_rupees
from clinicops.kit.timezones import human, utcnow, zone
from clinicops.lifecycle import effects
from clinicops.lifecycle.effects import Moved, StatusChange
from clinicops.logging import get_logger
from clinicops.messaging import repository
from clinicops.messaging.repository import AppointmentContext
from clinicops.messaging.service import queue_message

log = get_logger("clinicops.messaging.notify")

# Messages that make no sense once the appointment is cancelled or moved: withdrawn if still queued.
WITHDRAWN_ON_CANCEL = ("appointment_reminder", "online_consultation_link", "online_consultation_link_clinician",
                       "payment_request")
WITHDRAWN_ON_MOVE = ("appointment_reminder",)


def when(ctx: AppointmentContext, instant: datetime | None = None) -> str:
    instant = instant or ctx.starts_at
    return human(instant, zone(ctx.timezone)) if instant else "the scheduled time"


ONLINE_PLACE = "online (Google Meet)"


def place_of(mode: str, centre_name: str, meet_link: str | None = None) -> str:
    """Where an appointment takes place, as every message says it: ``at <centre>`` in person; an ONLINE
    appointment is ``online (Google Meet)`` (with its link when given) and never names a centre."""
    if mode == "ONLINE":
        return f"{ONLINE_PLACE}: {meet_link}" if meet_link else ONLINE_PLACE
    return f"at {centre_name}"


def place(ctx: AppointmentContext, *, with_link: bool = False) -> str:
    return place_of(ctx.mode, ctx.centre_name, ctx.meet_link if with_link else None)


def base_params(ctx: AppointmentContext) -> dict:
    # No "centre" parameter: templates say where through "place", which is never a centre for ONLINE.
    return {"patient": ctx.patient_name, "clinician": ctx.clinician_name, "place": place(ctx), "when": when(ctx)}


def amount_text(paise: int) -> str:
    rupees = to_rupees(paise)
    return f"{rupees:.2f}" if isinstance(rupees, float) else str(rupees)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def to_patient(session: AsyncSession, ctx: AppointmentContext, template: str, params: dict,
                     dedupe_key: str) -> int | None:
    return await queue_message(session, template=template, recipient=ctx.patient_phone, params=params,
                               organization_id=ctx.organization_id, recipient_name=ctx.patient_name,
                               dedupe_key=dedupe_key, appointment_id=ctx.appointment_id, patient_id=ctx.patient_id)


async def _context(session: AsyncSession, appointment: Appointment) -> AppointmentContext | None:
    ctx = await repository.appointment_context(session, appointment.id)
    if ctx is None:
        log.warning("notify_without_appointment", appointment_id=appointment.id)
    return ctx


async def appointment_confirmed(session: AsyncSession, appointment: Appointment) -> None:
    """Booking confirmation to the patient (the Meet link follows separately for ONLINE)."""
    ctx = await _context(session, appointment)
    if ctx is None:
        return
    params = base_params(ctx) | {"mode": "online" if ctx.mode == "ONLINE" else "in-person",
                                 "appointment_id": ctx.appointment_id}
    await to_patient(session, ctx, "booking_confirmation", params, f"confirm:{ctx.appointment_id}")


async def appointment_cancelled(session: AsyncSession, appointment: Appointment, reason: str | None) -> None:
    """Cancellation with reason to the patient; reminders and links still queued are withdrawn."""
    await repository.withdraw_pending(session, appointment.id, WITHDRAWN_ON_CANCEL, "appointment cancelled")
    ctx = await _context(session, appointment)
    if ctx is None:
        return
    params = base_params(ctx) | {"reason": (reason or "").strip() or "not given"}
    await to_patient(session, ctx, "appointment_cancelled", params, f"cancel:{ctx.appointment_id}")


async def appointment_rescheduled(session: AsyncSession, old: Appointment, new: Appointment) -> None:
    """Reschedule notice to the patient; reminders still queued for the old time are withdrawn.

    A move in place keeps the appointment's id (``old`` is then the appointment as it was): its payment request
    still pays for it, and its Meet link is the video domain's business (``video.service.on_rescheduled``). An
    appointment replaced by another one has everything still queued withdrawn, as on cancellation.
    """
    withdrawn = WITHDRAWN_ON_MOVE if old.id == new.id else WITHDRAWN_ON_CANCEL
    await repository.withdraw_pending(session, old.id, withdrawn, "appointment rescheduled")
    ctx = await _context(session, new)
    if ctx is None:
        return
    params = base_params(ctx) | {"old_when": when(ctx, old.starts_at)}
    # Each move is its own event (A→B, back to A, to B again: three notices); the key only stops one move from
    # being queued twice.
    moved_at = int(utcnow().timestamp() * 1_000_000)
    await to_patient(session, ctx, "appointment_rescheduled", params, f"reschedule:{old.id}:{new.id}:{moved_at}")


async def payment_request(session: AsyncSession, appointment: Appointment, *, link_url: str, amount_paise: int) -> None:
    """Payment link to the patient (a new link is a new message; the same link is sent once)."""
    ctx = await _context(session, appointment)
    if ctx is None:
        return
    params = base_params(ctx) | {"amount": amount_text(amount_paise), "link": link_url}
    await to_patient(session, ctx, "payment_request", params, f"payreq:{ctx.appointment_id}:{digest(link_url)}")


async def payment_received(session: AsyncSession, appointment: Appointment, *, amount_paise: int) -> None:
    """Receipt to the patient."""
    ctx = await _context(session, appointment)
    if ctx is None:
        return
    params = base_params(ctx) | {"amount": amount_text(amount_paise)}
    await to_patient(session, ctx, "payment_received", params, f"paid:{ctx.appointment_id}:{amount_paise}")


async def payment_refund_due(session: AsyncSession, appointment: Appointment, *, amount_paise: int) -> None:
    """The money arrived for a slot that was released and taken meanwhile: it goes back, and the patient is told."""
    ctx = await _context(session, appointment)
    if ctx is None:
        return
    params = base_params(ctx) | {"amount": amount_text(amount_paise)}
    await to_patient(session, ctx, "payment_refund_due", params, f"refund-due:{ctx.appointment_id}:{amount_paise}")


async def online_link_ready(session: AsyncSession, appointment: Appointment) -> None:
    """The Meet link to the patient AND the clinician (once per link: a replaced link goes out again)."""
    ctx = await _context(session, appointment)
    if ctx is None or not ctx.meet_link:
        return
    params = base_params(ctx) | {"meet_link": ctx.meet_link}
    key = f"meet:{ctx.appointment_id}:{digest(ctx.meet_link)}"
    await to_patient(session, ctx, "online_consultation_link", params, f"{key}:patient")
    if ctx.clinician_phone:
        await queue_message(session, template="online_consultation_link_clinician", recipient=ctx.clinician_phone,
                            params=params, organization_id=ctx.organization_id,
                            recipient_name=ctx.clinician_name, dedupe_key=f"{key}:clinician",
                            appointment_id=ctx.appointment_id, patient_id=ctx.patient_id)


# --- lifecycle effects (clinicops.lifecycle.effects.ORDER says when each runs) ---------------------------------

@dataclass(frozen=True)
class _Before:
    """The moved appointment as it was (its old time), for the rescheduled message."""

    id: int
    starts_at: datetime
    ends_at: datetime | None


@effects.register("messaging.confirmation")
async def _confirmed(session: AsyncSession, change: StatusChange) -> None:
    await appointment_confirmed(session, change.appointment)


@effects.register("messaging.cancellation")
async def _cancelled(session: AsyncSession, change: StatusChange) -> None:
    await appointment_cancelled(session, change.appointment, change.reason)


@effects.register("messaging.rescheduled")
async def _rescheduled(session: AsyncSession, move: Moved) -> None:
    appointment = move.appointment
    await appointment_rescheduled(session, _Before(appointment.id, move.from_starts_at, move.from_ends_at),
                                  appointment)
