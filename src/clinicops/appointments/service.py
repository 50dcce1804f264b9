"""Staff use cases of /api/appointments: list, read, create, change status, reschedule, cancel."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import booking, queries, repository
from clinicops.appointments.exceptions import AppointmentNotFound, ValidationFailed, missing
from clinicops.appointments.models import Appointment
from clinicops.appointments.queries import AppointmentView
from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow, zone
from clinicops.lifecycle import Actor, AppointmentStatus, change_status
from clinicops.organizations import service as organizations


# The staff list's window when no date filter is given: what the admin panel shows (it does not page).
# The admin panel asks for the list once, without dates, and filters it on the client with presets up to "all
# time" (a year back and ahead): the default window and size cover that, so no preset silently loses rows.
DEFAULT_WINDOW_PAST = timedelta(days=366)
DEFAULT_WINDOW_AHEAD = timedelta(days=366)
LIST_LIMIT = 2000
DASHBOARD_MAX_DAYS = 800  # the clinician dashboard's "All time" preset spans about 731 days


@dataclass(frozen=True)
class ListFilters:
    on: date | None = None
    since: date | None = None
    until: date | None = None
    centre_id: int | None = None
    clinician_id: int | None = None
    patient_id: int | None = None
    status: str | None = None
    limit: int = LIST_LIMIT
    offset: int = 0

    @property
    def has_dates(self) -> bool:
        return self.on is not None or self.since is not None or self.until is not None


def _where(principal: Principal, f: ListFilters) -> list:
    where = [scopes.appointments(principal)] + queries.day_filters(on=f.on, since=f.since, until=f.until)
    for column, value in ((Appointment.centre_id, f.centre_id), (Appointment.clinician_id, f.clinician_id),
                          (Appointment.patient_id, f.patient_id), (Appointment.status, f.status)):
        if value is not None:
            where.append(column == value)
    return where


async def organization_today(session: AsyncSession, principal: Principal) -> date:
    """Today in the caller's organization's zone."""
    assert principal.organization_id is not None
    return utcnow().astimezone(zone((await organizations.get(session, principal.organization_id)).timezone)).date()


async def list_appointments(session: AsyncSession, principal: Principal, filters: ListFilters
                            ) -> tuple[list[AppointmentView], int]:
    """The caller's appointments, newest first; without a date filter, from a year ago to a year ahead (the
    organization's calendar), so the list covers every preset of the admin panel without paging."""
    if not filters.has_dates:
        today = await organization_today(session, principal)
        filters = replace(filters, since=today - DEFAULT_WINDOW_PAST, until=today + DEFAULT_WINDOW_AHEAD)
    where = _where(principal, filters)
    rows = await queries.views(session, where, limit=filters.limit, offset=filters.offset)
    return rows, await queries.count(session, where)


async def _locked(session: AsyncSession, principal: Principal, appointment_id: int) -> Appointment:
    found = await repository.get(session, appointment_id, [scopes.appointments(principal)], lock=True)
    if found is None:
        raise AppointmentNotFound()
    return found


async def get(session: AsyncSession, principal: Principal, appointment_id: int) -> AppointmentView:
    if await repository.get(session, appointment_id, [scopes.appointments(principal)]) is None:
        raise AppointmentNotFound()
    found = await queries.view(session, appointment_id)
    assert found is not None
    return found


async def history(session: AsyncSession, principal: Principal, appointment_id: int):
    if await repository.get(session, appointment_id, [scopes.appointments(principal)]) is None:
        raise AppointmentNotFound()
    return await repository.events_of(session, appointment_id)


async def create(session: AsyncSession, principal: Principal, *, patient_id: int, clinician_id: int,
                 centre_id: int, mode: str, kind: str, scheduled_start_at: datetime,
                 duration_minutes: int | None = None, notes: str | None = None,
                 parent_appointment_id: int | None = None) -> AppointmentView:
    """A staff booking of ``mode`` (IN_PERSON, ONLINE) and ``kind`` (CONSULTATION, FOLLOW_UP...)."""
    assert principal.organization_id is not None
    if not principal.can_access_centre(centre_id):
        raise missing("centre_id", "Centre")
    if await repository.registered_patient(session, principal.organization_id, patient_id) is None:
        raise missing("patient_id", "Patient")
    if parent_appointment_id is not None and await repository.get(
            session, parent_appointment_id, [scopes.appointments(principal)]) is None:
        raise missing("parent_appointment_id", "Appointment")
    booked = await booking.book(
        session, organization_id=principal.organization_id, patient_id=patient_id, clinician_id=clinician_id,
        centre_id=centre_id, mode=mode, kind=kind, starts_at=scheduled_start_at,
        duration_minutes=duration_minutes, notes=notes, parent_appointment_id=parent_appointment_id,
        source=booking.staff_source(principal), actor_user_id=principal.user_id, actor=Actor.STAFF,
        hold_minutes=get_settings().staff_hold_minutes)
    return await _view(session, booked.appointment.id)


async def _view(session: AsyncSession, appointment_id: int) -> AppointmentView:
    found = await queries.view(session, appointment_id)
    assert found is not None
    return found


async def set_status(session: AsyncSession, principal: Principal, appointment_id: int, *, status: str,
                     reason: str | None = None) -> AppointmentView:
    if status == AppointmentStatus.RESCHEDULED:
        raise ValidationFailed("status", "To reschedule, send the new scheduled_start_at")
    appointment = await _locked(session, principal, appointment_id)
    await change_status(session, appointment, status, actor_user_id=principal.user_id, actor=Actor.STAFF,
                        reason=reason)
    return await _view(session, appointment.id)


async def update(session: AsyncSession, principal: Principal, appointment_id: int, *,
                 scheduled_start_at: datetime | None = None, duration_minutes: int | None = None,
                 status: str | None = None, notes: str | None = None, reason: str | None = None) -> AppointmentView:
    """The admin panel's PUT: a new time moves this appointment (a reschedule in place, carrying the new notes),
    then status, then notes."""
    appointment = await _locked(session, principal, appointment_id)
    if scheduled_start_at is not None and scheduled_start_at.tzinfo is None:
        centre = await repository.centre_in_org(session, appointment.organization_id, appointment.centre_id)
        if centre is not None:
            scheduled_start_at = scheduled_start_at.replace(tzinfo=zone(centre.timezone))
    if scheduled_start_at is not None and not _same_time(appointment, scheduled_start_at, duration_minutes):
        await reschedule(session, principal, appointment_id, scheduled_start_at=scheduled_start_at,
                         duration_minutes=duration_minutes, reason=reason, notes=notes)
    if status is not None and status != appointment.status:
        await set_status(session, principal, appointment.id, status=status, reason=reason)
    if notes is not None and notes != appointment.notes:
        appointment.notes = notes
        await session.flush()
    return await _view(session, appointment.id)


def _same_time(appointment: Appointment, starts_at: datetime, duration_minutes: int | None) -> bool:
    if starts_at.tzinfo is None or appointment.starts_at is None:
        return False
    return starts_at == appointment.starts_at and duration_minutes in (None, appointment.duration_minutes)


async def reschedule(session: AsyncSession, principal: Principal, appointment_id: int, *,
                     scheduled_start_at: datetime, duration_minutes: int | None = None,
                     reason: str | None = None, notes: str | None = None) -> AppointmentView:
    """Move this appointment to a new time, in place (booking.move): same id, status, payments, hold and booking
    reference; the move is in its status history with both times.

    The row is locked first, then the clinician's time (the lock every booking takes) before the first write, so
    concurrent moves and bookings into one slot queue instead of deadlocking; a refused new time changes nothing.
    The patient is told (old and new time), and an ONLINE appointment gets a Meet link for its new time (the
    effects of a move, ``lifecycle.effects``).
    """
    appointment = await _locked(session, principal, appointment_id)
    await booking.move(session, appointment, starts_at=scheduled_start_at, actor_user_id=principal.user_id,
                       actor=Actor.STAFF, duration_minutes=duration_minutes, notes=notes, reason=reason)
    return await _view(session, appointment.id)


async def cancel(session: AsyncSession, principal: Principal, appointment_id: int, *,
                 reason: str | None) -> AppointmentView:
    appointment = await _locked(session, principal, appointment_id)
    await change_status(session, appointment, AppointmentStatus.CANCELLED, actor_user_id=principal.user_id,
                        actor=Actor.STAFF, reason=reason or "Cancelled by staff")
    return await _view(session, appointment.id)



# --- the signed-in clinician's own views -------------------------------------------------------------------


async def my_appointments(session: AsyncSession, principal: Principal) -> dict[str, list[AppointmentView]]:
    """Today, upcoming and recent past appointments of the signed-in clinician, each day in its centre's zone
    (an appointment's day and "today" are read in the same zone, whatever the organization's own zone is)."""
    own = [scopes.sessions(principal)] + [Appointment.status != AppointmentStatus.RESCHEDULED]
    day, today = queries.local_date(), queries.local_date(func.now())
    current = await queries.views(session, own + [day == today], newest_first=False)
    upcoming = await queries.views(session, own + [day > today], limit=200, newest_first=False)
    past = await queries.views(session, own + [day < today], limit=100)
    return {"current": current, "upcoming": upcoming, "past": past}


async def _dashboard_days(session: AsyncSession, principal: Principal, since: date | None,
                          until: date | None) -> list:
    """The signed-in clinician's appointments on the centres' dates since..until (default: today)."""
    if since is None or until is None:
        today = await organization_today(session, principal)
        since, until = since or until or today, until or since or today
    if until < since:
        raise ValidationFailed("end_date", "end_date must not be before start_date")
    if (until - since).days + 1 > DASHBOARD_MAX_DAYS:
        raise ValidationFailed("end_date", f"The range may cover at most {DASHBOARD_MAX_DAYS} days")
    return ([scopes.sessions(principal)] + [Appointment.status != AppointmentStatus.RESCHEDULED]
            + queries.day_filters(on=None, since=since, until=until))


async def dashboard_stats(session: AsyncSession, principal: Principal, *, since: date | None,
                          until: date | None) -> dict[str, int]:
    """The signed-in clinician's appointments of the range, counted per status (a surface groups them into its
    dashboard's tiles)."""
    return await queries.status_counts(session, await _dashboard_days(session, principal, since, until))


async def dashboard_appointments(session: AsyncSession, principal: Principal, *, since: date | None,
                                 until: date | None, statuses: tuple[str, ...] | None = None,
                                 limit: int = LIST_LIMIT) -> tuple[list[AppointmentView], int]:
    """The clinician's appointments of the range, earliest first, optionally of some statuses."""
    where = await _dashboard_days(session, principal, since, until)
    if statuses:
        where.append(Appointment.status.in_(statuses))
    rows = await queries.views(session, where, limit=limit, newest_first=False)
    return rows, await queries.count(session, where)


async def _own_locked(session: AsyncSession, principal: Principal, appointment_id: int) -> Appointment:
    found = await repository.get(session, appointment_id, [scopes.sessions(principal)], lock=True)
    if found is None:
        raise AppointmentNotFound()
    return found


async def start_session(session: AsyncSession, principal: Principal, appointment_id: int) -> AppointmentView:
    appointment = await _own_locked(session, principal, appointment_id)
    await change_status(session, appointment, AppointmentStatus.IN_PROGRESS, actor_user_id=principal.user_id,
                        actor=Actor.CLINICIAN, reason="Session started")
    return await _view(session, appointment.id)


async def end_session(session: AsyncSession, principal: Principal, appointment_id: int) -> AppointmentView:
    appointment = await _own_locked(session, principal, appointment_id)
    await change_status(session, appointment, AppointmentStatus.COMPLETED, actor_user_id=principal.user_id,
                        actor=Actor.CLINICIAN, reason="Session ended")
    return await _view(session, appointment.id)
