"""Booking: the one path that puts an appointment on a clinician's time — every new appointment (staff, front
desk, patient web) through :func:`book`, and every reschedule through :func:`move`.

It checks the centre and clinician in the organization, then queues on the clinician's time
(``repository.lock_clinician_time``: one booking or reschedule of a clinician at a time, in every process), releases
lapsed holds of the clinician's day, asks the slot engine whether the time is a generated, free slot
(``slots.ensure_bookable``) and writes the row, complete, in one write (an INSERT, or the UPDATE of a moved row).
Behind the lock the slot check sees the previous contender's committed row and refuses the time (409
SLOT_UNAVAILABLE); the exclusion constraint stays the final guard, and the row is flushed at once so it too decides
inside the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import holds, repository
from clinicops.appointments.exceptions import missing
from clinicops.appointments.models import Appointment
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians.models import Clinician
from clinicops.config import get_settings
from clinicops.errors import SlotUnavailable
from clinicops.kit.timezones import UTC, day_bounds, utcnow, zone
from clinicops.lifecycle import AppointmentStatus, effects, move_refusal, record_event
from clinicops.lifecycle.effects import Moved
from clinicops.organizations.models import Centre
from clinicops.patients import registry
from clinicops.patients.models import Patient

MODES = ("IN_PERSON", "ONLINE")
SOURCE_BY_ROLE = ((Role.ADMIN, "ADMIN"), (Role.MANAGER, "ADMIN_MANAGER"), (Role.CENTRE_MANAGER, "ADMIN_MANAGER"),
                  (Role.CARE_COORDINATOR, "ADMIN_CARE_COORDINATOR"), (Role.FRONT_DESK, "ADMIN_FRONT_DESK"),
                  (Role.CLINICIAN, "CLINICIAN"))


@dataclass(frozen=True)
class Booked:
    appointment: Appointment
    clinician: Clinician
    centre: Centre


@dataclass(frozen=True)
class DeskBooking:
    """A front-desk booking and the patient it was made for (found or registered by phone)."""

    booked: Booked
    patient: Patient


def staff_source(principal: Principal) -> str:
    for role, source in SOURCE_BY_ROLE:
        if role in principal.roles:
            return source
    return "ADMIN_FRONT_DESK"


async def book(session: AsyncSession, *, organization_id: int, patient_id: int, clinician_id: int, centre_id: int,
               mode: str, starts_at: datetime, source: str, actor_user_id: int | None, actor: str,
               kind: str = "CONSULTATION", duration_minutes: int | None = None, notes: str | None = None,
               hold_minutes: int | None = None, hold_expires_at: datetime | None = None,
               parent_appointment_id: int | None = None, status: str = AppointmentStatus.BOOKED,
               reason: str = "Booked", fee_paise: int | None = None,
               booked_by_user_id: int | None = None) -> Booked:
    """Create one appointment. A naive ``starts_at`` is wall-clock time in the centre's zone.

    A BOOKED appointment is held unpaid until ``hold_expires_at``, or else for ``hold_minutes`` from now (neither:
    it is not held). It costs the clinician's fee unless ``fee_paise`` says otherwise (a re-booking keeps the fee
    that was paid), and was booked by the acting user unless ``booked_by_user_id`` is given. Everything is set
    before the insert: a second write to the new row while other bookings wait on it is what used to deadlock.
    """
    from clinicops.appointments import slots

    centre = await repository.centre_in_org(session, organization_id, centre_id)
    if centre is None:
        raise missing("centre_id", "Centre")
    if await repository.clinician_in_org(session, organization_id, clinician_id) is None:
        raise missing("clinician_id", "Clinician")
    tz = zone(centre.timezone)
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=tz)
    starts_at = starts_at.astimezone(UTC)
    now = utcnow()
    if starts_at <= now:
        raise SlotUnavailable("This time is in the past")
    await repository.lock_clinician_time(session, clinician_id)
    day_start, day_end = day_bounds(starts_at.astimezone(tz).date(), tz)
    await holds.release_expired(session, now=now, clinician_id=clinician_id,
                                between=(day_start, day_end + timedelta(hours=12)))
    clinician, centre, ends_at = await slots.ensure_bookable(
        session, organization_id=organization_id, clinician_id=clinician_id, centre_id=centre_id, mode=mode,
        starts_at=starts_at, duration_minutes=duration_minutes)
    appointment = Appointment(
        organization_id=organization_id, centre_id=centre_id, clinician_id=clinician_id, patient_id=patient_id,
        mode=mode, kind=kind, starts_at=starts_at, ends_at=ends_at,
        duration_minutes=round((ends_at - starts_at).total_seconds() / 60), status=str(status), source=source,
        parent_appointment_id=parent_appointment_id,
        booked_by_user_id=booked_by_user_id if booked_by_user_id is not None else actor_user_id,
        fee_paise=(clinician.consultation_fee_paise or 0) if fee_paise is None else fee_paise, notes=notes,
        hold_expires_at=_hold_until(status, now, hold_expires_at, hold_minutes))
    await repository.insert(session, appointment)
    await record_event(session, appointment, from_status=None, to_status=status, actor_user_id=actor_user_id,
                       actor=actor, reason=reason)
    await session.flush()
    return Booked(appointment, clinician, centre)


async def move(session: AsyncSession, appointment: Appointment, *, starts_at: datetime, actor_user_id: int | None,
               actor: str, duration_minutes: int | None = None, notes: str | None = None,
               reason: str | None = None, notify: bool = True) -> Moved:
    """Move ``appointment`` (locked by the caller) to ``starts_at``, in place: it keeps its id, status, payments,
    hold and booking reference. A naive ``starts_at`` is wall-clock time in the centre's zone.

    Like :func:`book`, it queues on the clinician's time before its first write, checks the new time with the slot
    engine (its own current time does not count as taken, so it may move by less than its length) and writes once:
    the UPDATE of starts_at/ends_at is flushed at once, so an overlap (23P01) is a 409 inside the request. The move
    is recorded in the status history (same status, both times in the reason), then the effects of a move run
    (``lifecycle.effects``: the patient is told, an ONLINE appointment gets a Meet link for its new time).
    """
    from clinicops.appointments import slots

    refused = move_refusal(appointment)
    if refused is not None:
        raise refused
    centre = await repository.centre_in_org(session, appointment.organization_id, appointment.centre_id)
    if centre is None:
        raise missing("centre_id", "Centre")
    tz = zone(centre.timezone)
    starts_at = (starts_at.replace(tzinfo=tz) if starts_at.tzinfo is None else starts_at).astimezone(UTC)
    now = utcnow()
    if starts_at <= now:
        raise SlotUnavailable("This time is in the past")
    await repository.lock_clinician_time(session, appointment.clinician_id)
    day_start, day_end = day_bounds(starts_at.astimezone(tz).date(), tz)
    await holds.release_expired(session, now=now, clinician_id=appointment.clinician_id,
                                between=(day_start, day_end + timedelta(hours=12)), except_id=appointment.id)
    _, _, ends_at = await slots.ensure_bookable(
        session, organization_id=appointment.organization_id, clinician_id=appointment.clinician_id,
        centre_id=appointment.centre_id, mode=appointment.mode, starts_at=starts_at,
        duration_minutes=duration_minutes or appointment.duration_minutes, moving_appointment_id=appointment.id)
    assert appointment.starts_at is not None  # move_refusal: only scheduled appointments move
    moved = Moved(appointment, appointment.starts_at, appointment.ends_at)
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.duration_minutes = round((ends_at - starts_at).total_seconds() / 60)
    if notes is not None:
        appointment.notes = notes
    await record_event(session, appointment, from_status=appointment.status, to_status=appointment.status,
                       actor_user_id=actor_user_id, actor=actor,
                       reason=moved_reason(moved.from_starts_at, starts_at, tz, reason))
    await repository.write_time(session)
    if notify:
        await effects.moved(session, moved)
    return moved


def moved_reason(from_starts_at: datetime, to_starts_at: datetime, tz, reason: str | None) -> str:
    """The status-history line of a move: both start times, ISO-8601 with the centre's offset."""
    text = (f"Rescheduled from {from_starts_at.astimezone(tz).isoformat()} "
            f"to {to_starts_at.astimezone(tz).isoformat()}")
    return f"{text}: {reason.strip()}" if reason and reason.strip() else text


def _hold_until(status: str, now: datetime, until: datetime | None, minutes: int | None) -> datetime | None:
    if status != AppointmentStatus.BOOKED:
        return None
    return until or (now + timedelta(minutes=minutes) if minutes else None)


def wall_clock(day: date, at: time) -> datetime:
    """The booking website's date + time: a naive value, read in the centre's zone by :func:`book`."""
    return datetime.combine(day, at.replace(tzinfo=None))


async def book_as_patient(session: AsyncSession, principal: Principal, *, organization_id: int, clinician_id: int,
                          centre_id: int, mode: str, day: date, at: time, notes: str | None = None) -> Booked:
    """The patient website's booking: always for the signed-in patient, held until paid, in the organization the
    patient's request acts in (``organization_id``, chosen by the surface)."""
    assert principal.patient_id is not None
    held = await _own_open_hold(session, organization_id=organization_id, patient_id=principal.patient_id,
                                clinician_id=clinician_id, centre_id=centre_id, mode=mode, day=day, at=at)
    if held is not None:  # the same patient asks again for the slot they hold (checkout failed): it is theirs
        return held
    try:
        booked = await book(
            session, organization_id=organization_id, patient_id=principal.patient_id, clinician_id=clinician_id,
            centre_id=centre_id, mode=mode, starts_at=wall_clock(day, at), source="WEB_PATIENT",
            actor_user_id=principal.user_id, actor="PATIENT", notes=notes,
            hold_minutes=get_settings().patient_hold_minutes)
    except SlotUnavailable:
        # A double submit: the other request held the clinician's lock, booked this slot for this patient and
        # committed while this one waited; that hold is the answer to both. (After a failed flush the session
        # cannot read, and the refusal stands.)
        held = session.is_active and await _own_open_hold(
            session, organization_id=organization_id, patient_id=principal.patient_id, clinician_id=clinician_id,
            centre_id=centre_id, mode=mode, day=day, at=at)
        if not held:
            raise
        return held
    await registry.ensure_registration(session, organization_id=organization_id, patient_id=principal.patient_id,
                                       source="WEB_PATIENT")
    return booked


async def _own_open_hold(session: AsyncSession, *, organization_id: int, patient_id: int, clinician_id: int,
                         centre_id: int, mode: str, day: date, at: time) -> Booked | None:
    """The caller's own unpaid hold on exactly this slot, still running (locked), or None."""
    found = await repository.open_hold(session, organization_id=organization_id, patient_id=patient_id,
                                       clinician_id=clinician_id, centre_id=centre_id, mode=mode,
                                       local_start=wall_clock(day, at), now=utcnow())
    return Booked(*found) if found is not None else None


async def book_at_front_desk(session: AsyncSession, principal: Principal, *, clinician_id: int, centre_id: int,
                             patient_phone: str, patient_name: str, patient_email: str | None, mode: str,
                             day: date, at: time, notes: str | None = None) -> DeskBooking:
    """Desk booking by phone: finds or registers the patient and books with the staff hold (what the desk collects
    is the payments domain's answer: ``payments.service.fees_due``)."""
    assert principal.organization_id is not None
    if not principal.can_access_centre(centre_id):
        raise missing("centre_id", "Centre")
    first, _, last = patient_name.strip().partition(" ")
    patient, _created = await registry.find_or_create(
        session, phone=patient_phone, organization_id=principal.organization_id, first_name=first or None,
        last_name=last.strip() or None, email=patient_email, source="FRONT_DESK")
    if not patient.full_name:
        patient.full_name = registry.full_name_of(first, last) or patient_name
    booked = await book(
        session, organization_id=principal.organization_id, patient_id=patient.id, clinician_id=clinician_id,
        centre_id=centre_id, mode=mode, starts_at=wall_clock(day, at), source=staff_source(principal),
        actor_user_id=principal.user_id, actor="STAFF", notes=notes,
        hold_minutes=get_settings().staff_hold_minutes)
    return DeskBooking(booked, patient)
