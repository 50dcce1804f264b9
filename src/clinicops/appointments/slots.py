"""Slots: what a clinician offers on a date, and whether a requested time may be booked.

Both answers come from the same generator (:mod:`clinicops.appointments.slot_engine`) over the same data (one
SQL statement, :mod:`clinicops.appointments.slot_repository`), so a slot is offered exactly when booking it is
accepted. The database's exclusion constraint stays the final guard against two concurrent bookings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import slot_engine as engine
from clinicops.appointments.schedule_cache import SCHEDULES, ScheduleCache
from clinicops.appointments.slot_repository import load_schedule
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.errors import NotFound, SlotUnavailable, ValidationFailed
from clinicops.kit.timezones import UTC, utcnow
from clinicops.organizations.keys import OrganizationKey
from clinicops.organizations.models import Centre

MAX_RANGE_DAYS = 62  # the patient website asks for today .. today + 60
_REFUSALS = {
    "past": "That time is in the past",
    "not_offered": "The clinician does not offer that time at this centre for this consultation mode",
    "booked": "That time is already booked",
    "blocked": "The clinician is not available at that time",
}

__all__ = ["Slot", "DayView", "PublicDay", "DateSummary", "day_slots", "ensure_bookable", "public_day",
           "public_dates", "staff_day", "staff_range", "MAX_RANGE_DAYS"]


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    mode: str
    centre_id: int
    available: bool  # free and not in the past
    status: str  # available / booked / blocked
    appointment_id: int | None
    blocked_by: int | None = None  # blocked: the availability exception that blocks it (the unblock id)


@dataclass(frozen=True, slots=True)
class DayView:
    day: date
    zones: dict[int, ZoneInfo]  # centre id -> zone, to render wall-clock times
    slots: list[Slot]


@dataclass(frozen=True, slots=True)
class PublicDay:
    """The website's slot list: raw slots (UNIX seconds) and the centre's clock to render them."""

    day: date
    clock: engine.DayClock
    slots: list[engine.RawSlot]


@dataclass(frozen=True, slots=True)
class DateSummary:
    day: date
    slot_count: int
    first_slot: datetime  # aware, in the centre's zone


def _slot(raw: engine.RawSlot) -> Slot:
    return Slot(datetime.fromtimestamp(raw.start, UTC), datetime.fromtimestamp(raw.end, UTC), raw.mode,
                raw.centre_id, raw.available, raw.status, raw.appointment_id)


def _now_s(now: datetime | None) -> int:
    return int((now or utcnow()).timestamp())


def _day_raw(schedule: engine.Schedule, day: date, *, mode: str | None, now: int) -> list[engine.RawSlot]:
    raw: list[engine.RawSlot] = []
    for centre_id in sorted(schedule.centres):
        raw.extend(engine.centre_day(schedule, centre_id, day, mode=mode, now=now))
    if len(schedule.centres) > 1:
        raw.sort(key=lambda s: (s.start, s.mode, s.centre_id))
    return raw


async def _shared_schedule(session: AsyncSession, cache: ScheduleCache, organization: OrganizationKey, *,
                           clinician_id: int, centre_id: int | None, first_day: date, last_day: date,
                           now: datetime) -> engine.Schedule:
    """The schedule for a read that does not change it: from the process's cache (no query), else loaded and
    stored (``schedule_cache``). Booking and the staff grid load their own."""
    key = (organization.id, organization.slug, centre_id, first_day, last_day)
    found = cache.get(clinician_id, key, now)
    if found is not None:
        return found
    token = cache.feed.fill_token()  # before the read: a change committed meanwhile refuses the store
    schedule = await load_schedule(session, organization_id=organization.id, organization_slug=organization.slug,
                                   clinician_id=clinician_id, centre_id=centre_id, first_day=first_day,
                                   last_day=last_day, now=now)
    cache.put(token, clinician_id, key, schedule)
    return schedule


async def day_slots(session: AsyncSession, *, organization_id: int, clinician_id: int, centre_id: int | None,
                    day: date, mode: str | None = None, include_past: bool = False,
                    now: datetime | None = None) -> list[Slot]:
    """Every slot of ``day`` (the centre's date) with its status; past ones only with ``include_past``.

    ``centre_id`` None: every active centre where the clinician has rules or extra hours.
    Raises NotFound for an unknown, inactive or other-organization clinician or centre.
    """
    current = now or utcnow()
    schedule = await load_schedule(session, organization_id=organization_id, clinician_id=clinician_id,
                                   centre_id=centre_id, first_day=day, last_day=day, now=current)
    return [_slot(s) for s in _day_raw(schedule, day, mode=mode, now=_now_s(current))
            if include_past or not s.past]


async def ensure_bookable(session: AsyncSession, *, organization_id: int, clinician_id: int, centre_id: int,
                          mode: str, starts_at: datetime, duration_minutes: int | None = None,
                          now: datetime | None = None, moving_appointment_id: int | None = None
                          ) -> tuple[Clinician, Centre, datetime]:
    """Check that [starts_at, starts_at + duration) may be booked; return (clinician, centre, ends_at).

    It must start a generated slot of the clinician's rules or extra hours at that centre and mode, lie outside
    every unavailable window (by overlap), not be in the past and not overlap an active appointment. Without a
    duration the appointment takes its slot's length; a longer one may run on through consecutive free slots of
    the same mode. An expired unpaid hold does not count as taken: booking releases it first
    (``holds.release_expired``), or the exclusion constraint would refuse the new row. When an appointment is being
    moved (``moving_appointment_id``), its own current time does not count as taken, so it may move by less than
    its length.
    """
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if duration_minutes is not None and not 5 <= duration_minutes <= 480:
        raise ValidationFailed("duration_minutes", "Duration must be between 5 and 480 minutes")
    clinician, centre = await _clinician_and_centre(session, organization_id, clinician_id, centre_id)
    current = now or utcnow()
    day = starts_at.astimezone(ZoneInfo(centre.timezone)).date()
    schedule = await load_schedule(session, organization_id=organization_id, clinician_id=clinician_id,
                                   centre_id=centre_id, first_day=day, last_day=day + timedelta(days=1),
                                   now=current)
    if moving_appointment_id is not None:
        _free_own_time(schedule, moving_appointment_id)
    start = int(starts_at.timestamp())
    if starts_at.timestamp() != start:
        raise SlotUnavailable(_REFUSALS["not_offered"])
    wanted_end = start + duration_minutes * 60 if duration_minutes else None
    refusal, end = engine.span_refusal(schedule, centre_id, day, mode=mode, start=start, end=wanted_end,
                                       now=_now_s(current))
    if refusal:
        raise SlotUnavailable(_REFUSALS[refusal])
    return clinician, centre, datetime.fromtimestamp(end, UTC)


def _free_own_time(schedule: engine.Schedule, appointment_id: int) -> None:
    kept = [busy for busy in schedule.busy if busy[2] != appointment_id]
    if len(kept) != len(schedule.busy):
        schedule.set_busy([b[0] for b in kept], [b[1] for b in kept], [b[2] for b in kept])


async def _clinician_and_centre(session: AsyncSession, organization_id: int, clinician_id: int,
                                centre_id: int) -> tuple[Clinician, Centre]:
    clinician = (await session.execute(select(Clinician).where(
        Clinician.id == clinician_id, Clinician.organization_id == organization_id, Clinician.is_active.is_(True),
        Clinician.is_deleted.is_(False)))).scalar_one_or_none()
    if clinician is None:
        raise NotFound("Clinician not found")
    centre = (await session.execute(select(Centre).where(
        Centre.id == centre_id, Centre.organization_id == organization_id, Centre.is_active.is_(True),
        Centre.is_deleted.is_(False)))).scalar_one_or_none()
    if centre is None:
        raise NotFound("Centre not found")
    return clinician, centre


# --- use cases behind the HTTP routes -------------------------------------------------------------------------

async def public_day(session: AsyncSession, *, organization: OrganizationKey, clinician_id: int, centre_id: int,
                     day: date, mode: str | None, now: datetime | None = None,
                     cache: ScheduleCache = SCHEDULES) -> PublicDay:
    """The patient website's slot list: upcoming slots, free or booked; blocked hours are simply not offered.
    An organization that is not active offers none (404), like an unknown one."""
    current = now or utcnow()
    schedule = await _shared_schedule(session, cache, organization, clinician_id=clinician_id, centre_id=centre_id,
                                      first_day=day, last_day=day, now=current)
    clock = engine.DayClock(ZoneInfo(schedule.centres[centre_id]), day)
    raw = engine.centre_day(schedule, centre_id, day, mode=mode, now=_now_s(current), clock=clock)
    return PublicDay(day, clock, [s for s in raw if not s.past and s.status != engine.BLOCKED])


async def public_dates(session: AsyncSession, *, organization: OrganizationKey, clinician_id: int, centre_id: int,
                       first_day: date, last_day: date, mode: str | None, now: datetime | None = None,
                       cache: ScheduleCache = SCHEDULES) -> list[DateSummary]:
    """Dates of the range that still have a free slot, computed in one pass over one query's rows."""
    check_range(first_day, last_day)
    current = now or utcnow()
    schedule = await _shared_schedule(session, cache, organization, clinician_id=clinician_id, centre_id=centre_id,
                                      first_day=first_day, last_day=last_day, now=current)
    tz, now_s = ZoneInfo(schedule.centres[centre_id]), _now_s(current)
    found: list[DateSummary] = []
    day = first_day
    while day <= last_day:
        count, first = engine.free_summary(schedule, centre_id, day, tz, mode=mode, now=now_s)
        if count:
            found.append(DateSummary(day, count, datetime.fromtimestamp(first, tz)))
        day += timedelta(days=1)
    return found


async def staff_day(session: AsyncSession, principal: Principal, *, clinician_id: int, centre_id: int | None,
                    day: date, mode: str | None, include_past: bool, grid: bool) -> DayView:
    """Slots for staff; the grid (which names booked appointments) only within the caller's centres.

    A clinician sees their own grid everywhere, desk roles the centres they work at (``authz.scopes``: a clinician
    who also runs a centre sees both); a clinician without a desk role sees no one else's grid.
    """
    own = principal.own_clinician_id is not None and principal.own_clinician_id == clinician_id
    if grid and not own and principal.only_own_clinician():
        raise NotFound("Clinician not found")
    scope = None if (not grid or own) else principal.centre_scope()
    if scope is not None and centre_id is not None and centre_id not in scope:
        raise NotFound("Centre not found")
    assert principal.organization_id is not None
    current = utcnow()
    schedule = await load_schedule(session, organization_id=principal.organization_id, clinician_id=clinician_id,
                                   centre_id=centre_id, first_day=day, last_day=day, now=current)
    if scope is not None:
        schedule.centres = {c: z for c, z in schedule.centres.items() if c in scope}
    raw = _day_raw(schedule, day, mode=mode, now=_now_s(current))
    zones = {c: ZoneInfo(z) for c, z in schedule.centres.items()}
    found = []
    for s in raw:
        if not include_past and s.past:
            continue
        slot = _slot(s)
        if grid and s.status == engine.BLOCKED:
            slot = replace(slot, blocked_by=engine.blocking_exception(schedule, s.centre_id, zones[s.centre_id],
                                                                      s.start, s.end, s.mode))
        found.append(slot)
    return DayView(day, zones, found)


def check_range(first_day: date, last_day: date, *, last_field: str = "end_date") -> None:
    """A range of dates a slot list may cover: in order, at most :data:`MAX_RANGE_DAYS` days (else 422)."""
    if last_day < first_day:
        raise ValidationFailed(last_field, f"{last_field} must not be before start_date")
    if (last_day - first_day).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(last_field, f"The range may cover at most {MAX_RANGE_DAYS} days")


async def staff_range(session: AsyncSession, organization: OrganizationKey, *, clinician_id: int,
                      centre_id: int | None, first_day: date, last_day: date, mode: str | None,
                      now: datetime | None = None, cache: ScheduleCache = SCHEDULES) -> list[DayView]:
    """The staff booking wizard's slots for a range of the centres' dates: every upcoming slot with its status
    (available, booked or blocked), from one query over the whole range.

    ``centre_id`` None: every active centre where the clinician has rules or extra hours. A clinician or centre
    outside ``organization`` is not found (404). It holds no patient data (a slot says booked, never by whom),
    so the admin panel's clinician page, which asks without a token, gets the public organization's.
    """
    check_range(first_day, last_day)
    current = now or utcnow()
    schedule = await _shared_schedule(session, cache, organization, clinician_id=clinician_id, centre_id=centre_id,
                                      first_day=first_day, last_day=last_day, now=current)
    zones, now_s = {c: ZoneInfo(z) for c, z in schedule.centres.items()}, _now_s(current)
    days: list[DayView] = []
    day = first_day
    while day <= last_day:
        days.append(DayView(day, zones, [_slot(s) for s in _day_raw(schedule, day, mode=mode, now=now_s)
                                         if not s.past]))
        day += timedelta(days=1)
    return days
