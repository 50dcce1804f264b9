"""Meet links for ONLINE appointments.

An ONLINE appointment gets its link when it becomes CONFIRMED: :func:`on_confirmed` (a lifecycle effect, like
:func:`on_rescheduled` for a move) enqueues the ``video.create_meet_link`` job in the confirming transaction, so a
provider outage never fails a booking or a payment; the job retries with backoff and a periodic sweep catches what
is still missing. Once stored, the link goes to the patient and the clinician by WhatsApp (once per link).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops import jobs
from clinicops.appointments.models import Appointment
from clinicops.authz.principal import Principal
from clinicops.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from clinicops.lifecycle import RELEASED, effects
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.lifecycle.effects import Moved, StatusChange
from clinicops.logging import get_logger
from clinicops.messaging import notify
from clinicops.messaging import repository as messages
from clinicops.video import repository
from clinicops.video.providers import MeetingRequest, VideoProvider, VideoProviderError, get_provider

log = get_logger("clinicops.video")

# Statuses in which the patient should have the link now (an unpaid BOOKED appointment gets it on payment).
SENDS_LINK = frozenset({S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS})
NO_LINK_NEEDED = RELEASED | {S.COMPLETED}


@effects.register("video.meet_link")
async def _confirmed(session: AsyncSession, change: StatusChange) -> None:
    await on_confirmed(session, change.appointment)


@effects.register("video.meet_link_moved")
async def _moved(session: AsyncSession, move: Moved) -> None:
    await on_rescheduled(session, move.appointment)


async def on_confirmed(session: AsyncSession, appointment: Appointment) -> None:
    """An ONLINE appointment gets its link when confirmed (created by a job; sent now if it already exists)."""
    if appointment.mode != "ONLINE":
        return
    if appointment.meet_link:
        await notify.online_link_ready(session, appointment)
        return
    jobs.enqueue(session, "video.create_meet_link", appointment_id=appointment.id)


LINK_TEMPLATES = ("online_consultation_link", "online_consultation_link_clinician")


async def on_rescheduled(session: AsyncSession, appointment: Appointment) -> None:
    """An ONLINE appointment moved in place (same id) needs its meeting at the new time.

    A meeting we created (it has a calendar event) is for the old time: its link is dropped (and not sent if still
    queued), the event deleted, and the job makes a new one — the request id carries the row version, so it is a
    new event — which is sent when the patient should have it. A link staff set themselves (no event) is their own
    room, not tied to a time: it stays, and the reschedule message tells the new time.
    """
    if appointment.mode != "ONLINE" or appointment.status in NO_LINK_NEEDED:
        return
    if appointment.meet_link and appointment.meet_event_id is None:
        return
    if appointment.meet_link:
        old_event = appointment.meet_event_id
        await messages.withdraw_pending(session, appointment.id, LINK_TEMPLATES, "appointment rescheduled")
        appointment.meet_link, appointment.meet_event_id = None, None
        await session.flush()
        _forget_event(session, old_event)
    if appointment.status in SENDS_LINK:
        jobs.enqueue(session, "video.create_meet_link", appointment_id=appointment.id)


def request_id(appointment: Appointment) -> str:
    """Calendar event id and conference request id: only [a-v0-9] (base32hex), stable across retries.

    The row version is part of it, so a link deleted by staff and generated again is a new event.
    """
    return f"clinicops{appointment.id}v{appointment.version}"


async def _meeting_request(session: AsyncSession, appointment: Appointment) -> MeetingRequest:
    ctx = await messages.appointment_context(session, appointment.id)
    if ctx is None or appointment.starts_at is None:
        raise Conflict("The appointment has no scheduled time")
    ends_at = appointment.ends_at or appointment.starts_at + timedelta(minutes=appointment.duration_minutes or 30)
    return MeetingRequest(
        appointment_id=appointment.id, request_id=request_id(appointment),
        summary=f"Online consultation: {ctx.patient_name} with {ctx.clinician_name}",
        description=f"{ctx.organization_name} - {ctx.centre_name}. Appointment #{appointment.id}.",
        starts_at=appointment.starts_at, ends_at=ends_at, timezone=ctx.timezone)


async def _store(session: AsyncSession, appointment_id: int, link: str, event_id: str | None) -> Appointment | None:
    """Keep the first link stored (a concurrent create may have won) and send it if the patient should have it."""
    row = await repository.lock(session, appointment_id)
    if row is None:
        return None
    if not row.meet_link:
        row.meet_link, row.meet_event_id = link, event_id
        await session.flush()
    if row.status in SENDS_LINK:
        await notify.online_link_ready(session, row)
    return row


async def create_link_for(session: AsyncSession, appointment_id: int, *,
                          provider: VideoProvider | None = None) -> str | None:
    """The job's work: create the meeting unless a link exists or none is needed. Provider errors propagate."""
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None or appointment.mode != "ONLINE" or appointment.status in NO_LINK_NEEDED:
        return None
    if appointment.meet_link:
        return appointment.meet_link
    meeting = await (provider or get_provider()).create_meeting(await _meeting_request(session, appointment))
    stored = await _store(session, appointment_id, meeting.link, meeting.event_id)
    log.info("meet_link_created", appointment_id=appointment_id)
    return stored.meet_link if stored else None


async def _scoped(session: AsyncSession, principal: Principal, appointment_id: int) -> Appointment:
    appointment = await repository.get_scoped(session, principal, appointment_id)
    if appointment is None:
        raise NotFound("Appointment not found")
    return appointment


async def generate(session: AsyncSession, principal: Principal, *, appointment_id: int,
                   provider: VideoProvider | None = None) -> Appointment:
    """Staff create the link now (even before confirmation); 503 if the provider is down."""
    appointment = await _scoped(session, principal, appointment_id)
    if appointment.mode != "ONLINE":
        raise Conflict("Only ONLINE appointments have a Meet link")
    if appointment.status in NO_LINK_NEEDED:
        raise Conflict(f"The appointment is {appointment.status}")
    if appointment.meet_link:
        return appointment
    try:
        meeting = await (provider or get_provider()).create_meeting(await _meeting_request(session, appointment))
    except VideoProviderError as exc:
        log.warning("meet_link_unavailable", appointment_id=appointment_id, error=str(exc))
        raise ServiceUnavailable("The Meet link could not be created now; try again shortly") from None
    return await _store(session, appointment.id, meeting.link, meeting.event_id) or appointment


async def get_link(session: AsyncSession, principal: Principal, *, appointment_id: int) -> Appointment:
    return await _scoped(session, principal, appointment_id)


def _valid_link(link: str) -> str:
    parsed = urlparse(link or "")
    if parsed.scheme != "https" or not parsed.netloc or len(link) > 500:
        raise ValidationFailed("meet_link", "meet_link must be an https URL")
    return link


async def set_link(session: AsyncSession, principal: Principal, *, appointment_id: int, link: str) -> Appointment:
    """Staff replace the link (e.g. a room of their own); the new link goes out if the patient should have it."""
    link = _valid_link(link)
    appointment = await _scoped(session, principal, appointment_id)
    if appointment.mode != "ONLINE":
        raise Conflict("Only ONLINE appointments have a Meet link")
    if appointment.meet_link != link:
        old_event = appointment.meet_event_id
        appointment.meet_link, appointment.meet_event_id = link, None
        await session.flush()
        _forget_event(session, old_event)
        if appointment.status in SENDS_LINK:
            await notify.online_link_ready(session, appointment)
    return appointment


async def remove_link(session: AsyncSession, principal: Principal, *, appointment_id: int) -> Appointment:
    appointment = await _scoped(session, principal, appointment_id)
    old_event = appointment.meet_event_id
    appointment.meet_link, appointment.meet_event_id = None, None
    await session.flush()
    _forget_event(session, old_event)
    return appointment


def _forget_event(session: AsyncSession, event_id: str | None) -> None:
    if event_id and not event_id.startswith("offline-"):
        jobs.enqueue(session, "video.delete_meet_event", event_id=event_id)


async def list_links(session: AsyncSession, principal: Principal, *, centre_id: int | None, limit: int,
                     offset: int) -> tuple[list[tuple], int]:
    if centre_id is not None and not principal.can_access_centre(centre_id):
        raise NotFound("Centre not found")
    return await repository.list_links(session, principal, centre_id=centre_id, limit=limit, offset=offset)
