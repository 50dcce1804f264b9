"""The clinician's session record of an appointment: session notes, earlier sessions' notes, a follow-up date.

Session notes live in the appointment's visit record (``visits``: one per appointment, its ``notes``), kept apart
from the appointment's own booking notes. They are clinical data, so every read and write is audited in the
request's transaction (invariant 10). Only the appointment's own clinician reads or writes them: another
clinician's appointment is not found (404), as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import repository
from clinicops.appointments.exceptions import AppointmentNotFound, ValidationFailed
from clinicops.appointments.models import Appointment
from clinicops.audit import service as audit
from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.errors import NotFound
from clinicops.kit.timezones import utcnow, zone
from clinicops.lifecycle import AppointmentStatus
from clinicops.visits.models import Visit

NOTES_MAX = 10_000


@dataclass(frozen=True)
class SessionNote:
    visit: Visit
    appointment: Appointment


async def _own(session: AsyncSession, principal: Principal, appointment_id: int) -> Appointment:
    found = await repository.get(session, appointment_id, [scopes.sessions(principal)], lock=True)
    if found is None:
        raise AppointmentNotFound()
    return found


async def _visit(session: AsyncSession, appointment: Appointment) -> Visit:
    """The appointment's visit record, created on first need (dated the appointment's day at its centre)."""
    visit = await repository.visit_of(session, appointment.id)
    if visit is not None:
        return visit
    tz = zone(await repository.centre_zone(session, appointment.centre_id))
    day = (appointment.starts_at or utcnow()).astimezone(tz).date()
    return await repository.add_visit(session, Visit(
        organization_id=appointment.organization_id, appointment_id=appointment.id,
        clinician_id=appointment.clinician_id, patient_id=appointment.patient_id, visit_date=day,
        status="COMPLETED" if appointment.status == AppointmentStatus.COMPLETED else "IN_PROGRESS"))


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(field, f"{field} is required")
    if len(text) > NOTES_MAX:
        raise ValidationFailed(field, f"{field} must be at most {NOTES_MAX} characters")
    return text or None


async def save_notes(session: AsyncSession, principal: Principal, appointment_id: int, *,
                     text: str) -> SessionNote:
    """The clinician's notes of this session (replacing what they wrote before)."""
    body = _text(text, "session_notes", required=True)
    appointment = await _own(session, principal, appointment_id)
    visit = await _visit(session, appointment)
    visit.notes = body
    await session.flush()
    await session.refresh(visit)
    await audit.record(session, principal, action="visit.notes.write", resource_type="visit", resource_id=visit.id,
                       patient_id=appointment.patient_id)
    return SessionNote(visit, appointment)


async def earlier_notes(session: AsyncSession, principal: Principal, appointment_id: int, *,
                        patient_id: int | None = None) -> list[SessionNote]:
    """The notes of the patient's other sessions with this clinician, newest first (at most 10).

    ``patient_id`` (the admin panel sends it) must be the appointment's patient; any other id is not found.
    """
    appointment = await _own(session, principal, appointment_id)
    if patient_id is not None and patient_id != appointment.patient_id:
        raise NotFound("Patient not found", details=[{"field": "patient_id", "message": "Patient not found"}])
    rows = await repository.earlier_visits(session, appointment)
    await audit.record(session, principal, action="visit.notes.read", resource_type="appointment",
                       resource_id=appointment.id, patient_id=appointment.patient_id,
                       details={"returned": len(rows)})
    return [SessionNote(visit, appt) for visit, appt in rows]


@dataclass(frozen=True)
class FollowUp:
    visit: Visit
    appointment: Appointment
    notes: str | None


async def schedule_follow_up(session: AsyncSession, principal: Principal, appointment_id: int, *, on: date,
                             notes: str | None = None) -> FollowUp:
    """Record when the patient should come back (the visit's follow-up date; the desk books the appointment).

    The follow-up's notes are added to the session notes as one line, ``Follow-up on <date>: <notes>``.
    """
    text = _text(notes, "follow_up_notes", required=False)
    appointment = await _own(session, principal, appointment_id)
    tz = zone(await repository.centre_zone(session, appointment.centre_id))
    if on < utcnow().astimezone(tz).date():
        raise ValidationFailed("follow_up_date", "follow_up_date cannot be in the past")
    visit = await _visit(session, appointment)
    visit.follow_up_date = on
    if text:
        line = f"Follow-up on {on.isoformat()}: {text}"
        visit.notes = f"{visit.notes}\n{line}" if visit.notes else line
    await session.flush()
    await session.refresh(visit)
    await audit.record(session, principal, action="visit.follow_up.write", resource_type="visit",
                       resource_id=visit.id, patient_id=appointment.patient_id)
    return FollowUp(visit, appointment, text)
