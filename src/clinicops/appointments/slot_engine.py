"""Pure slot arithmetic: weekly rules and date exceptions in a centre's zone -> bookable slots.

No SQL and no I/O here, so the same code answers "what is free" (the slot lists) and "may this be booked"
(:func:`clinicops.appointments.slots.ensure_bookable`); a slot is offered exactly when booking it is accepted.

Instants are integer UNIX seconds inside the loops (cheap to add and compare); wall-clock values only exist at
the edges. Stepping happens in absolute time from the instant a window opens, so a window that spans a DST change
yields real, non-overlapping slots (never a non-existent 02:30).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AVAILABLE, BOOKED, BLOCKED = "available", "booked", "blocked"
MODES = ("IN_PERSON", "ONLINE")


@dataclass(frozen=True, slots=True)
class Rule:
    centre_id: int
    weekday: int  # 0 = Sunday ... 6 = Saturday
    start: time
    end: time
    minutes: int
    mode: str
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass(frozen=True, slots=True)
class DateException:
    kind: str  # UNAVAILABLE or EXTRA
    centre_id: int | None  # None: every centre (UNAVAILABLE only)
    start_date: date
    end_date: date
    start: time | None = None  # None: whole days
    end: time | None = None
    mode: str | None = None  # None: every mode
    minutes: int | None = None


@dataclass(slots=True)
class Schedule:
    """Everything one clinician's slots depend on, for a range of dates (loaded in one SQL round trip)."""

    organization_id: int
    organization_timezone: str
    clinician_id: int
    default_minutes: int
    centres: dict[int, str]  # centre id -> IANA zone
    rules: list[Rule] = field(default_factory=list)
    exceptions: list[DateException] = field(default_factory=list)
    busy: list[tuple[int, int, int]] = field(default_factory=list)  # (start_s, end_s, appointment id), by start
    _busy_ends: list[int] | None = None

    def busy_ends(self) -> list[int]:
        if self._busy_ends is None:
            self.busy.sort()
            self._busy_ends = [end for _, end, _ in self.busy]
        return self._busy_ends


@dataclass(frozen=True, slots=True)
class RawSlot:
    start: int
    end: int
    mode: str
    centre_id: int
    status: str
    appointment_id: int | None
    past: bool

    @property
    def available(self) -> bool:
        return self.status == AVAILABLE and not self.past


def sunday_weekday(day: date) -> int:
    """Our weekday numbering (0 = Sunday) from Python's (0 = Monday)."""
    return (day.weekday() + 1) % 7


def instant(day: date, at: time, tz: ZoneInfo) -> int:
    return int(datetime.combine(day, at, tzinfo=tz).timestamp())


def midnight(day: date, tz: ZoneInfo) -> int:
    return instant(day, time(0), tz)


def exception_window(x: DateException, tz: ZoneInfo) -> tuple[int, int]:
    """A dated exception as one continuous interval: whole days, or start_date start .. end_date end."""
    if x.start is None or x.end is None:
        return midnight(x.start_date, tz), midnight(x.end_date + timedelta(days=1), tz)
    return instant(x.start_date, x.start, tz), instant(x.end_date, x.end, tz)


def _modes_at(schedule: Schedule, centre_id: int) -> tuple[str, ...]:
    found = {r.mode for r in schedule.rules if r.centre_id == centre_id}
    return tuple(m for m in MODES if m in found) or ("IN_PERSON",)


def _candidates(schedule: Schedule, centre_id: int, day: date, tz: ZoneInfo,
                mode: str | None) -> dict[tuple[int, str], int]:
    """(start, mode) -> end of every slot starting on ``day`` at the centre; weekly rules win over extras."""
    found: dict[tuple[int, str], int] = {}
    weekday = sunday_weekday(day)
    for rule in schedule.rules:
        if (rule.centre_id != centre_id or rule.weekday != weekday or (mode and rule.mode != mode)
                or (rule.effective_from and day < rule.effective_from)
                or (rule.effective_to and day > rule.effective_to)):
            continue
        step = rule.minutes * 60
        start, close = instant(day, rule.start, tz), instant(day, rule.end, tz)
        while start + step <= close:
            found.setdefault((start, rule.mode), start + step)
            start += step
    day_open, day_close = midnight(day, tz), midnight(day + timedelta(days=1), tz)
    for extra in schedule.exceptions:
        if extra.kind != "EXTRA" or extra.centre_id != centre_id or not extra.start_date <= day <= extra.end_date:
            continue
        modes = (extra.mode,) if extra.mode else _modes_at(schedule, centre_id)
        step = (extra.minutes or schedule.default_minutes) * 60
        opens, close = exception_window(extra, tz)
        start = opens + max(0, -(-(day_open - opens) // step)) * step  # first step boundary on this day
        while start < day_close and start + step <= close:
            for slot_mode in modes:
                if not mode or slot_mode == mode:
                    found.setdefault((start, slot_mode), start + step)
            start += step
    return found


def _blocks(schedule: Schedule, centre_id: int, tz: ZoneInfo) -> list[tuple[int, int, str | None]]:
    return [(*exception_window(x, tz), x.mode) for x in schedule.exceptions
            if x.kind == "UNAVAILABLE" and (x.centre_id is None or x.centre_id == centre_id)]


def overlapping_appointment(schedule: Schedule, start: int, end: int) -> int | None:
    """The first active appointment of the clinician overlapping [start, end) (they never overlap each other)."""
    ends = schedule.busy_ends()
    index = bisect_right(ends, start)
    if index < len(schedule.busy) and schedule.busy[index][0] < end:
        return schedule.busy[index][2]
    return None


def is_blocked(blocks: Iterable[tuple[int, int, str | None]], start: int, end: int, mode: str) -> bool:
    return any(b_start < end and start < b_end and (b_mode is None or b_mode == mode)
               for b_start, b_end, b_mode in blocks)


def centre_day(schedule: Schedule, centre_id: int, day: date, *, mode: str | None, now: int) -> list[RawSlot]:
    """Every slot of ``day`` (the centre's calendar date) at one centre, by start then mode, with its status."""
    tz = ZoneInfo(schedule.centres[centre_id])
    blocks = _blocks(schedule, centre_id, tz)
    slots: list[RawSlot] = []
    for (start, slot_mode), end in sorted(_candidates(schedule, centre_id, day, tz, mode).items()):
        appointment_id = overlapping_appointment(schedule, start, end)
        if appointment_id is not None:
            status = BOOKED
        elif is_blocked(blocks, start, end, slot_mode):
            status = BLOCKED
        else:
            status = AVAILABLE
        slots.append(RawSlot(start, end, slot_mode, centre_id, status, appointment_id, start < now))
    return slots


def span_refusal(schedule: Schedule, centre_id: int, day: date, *, mode: str, start: int, end: int | None,
                 now: int) -> tuple[str | None, int]:
    """Why [start, end) cannot be booked (None: it can) and the end it would have.

    It must begin a generated slot of ``mode``; ``end`` None means "that slot's own length". A longer appointment
    may run on through the following slots of the same mode, as long as each is offered and free; it need not fill
    the last one. Reasons: ``past``, ``not_offered``, ``booked``, ``blocked``.
    """
    if start < now:
        return "past", start
    tz = ZoneInfo(schedule.centres[centre_id])
    candidates = _candidates(schedule, centre_id, day, tz, mode)
    first_end = candidates.get((start, mode))
    if first_end is None:
        return "not_offered", start
    end = first_end if end is None else end
    cursor, next_day = first_end, day + timedelta(days=1)
    while cursor < end:
        following = candidates.get((cursor, mode))
        if following is None and next_day == day + timedelta(days=1):  # it may run on past midnight
            candidates.update(_candidates(schedule, centre_id, next_day, tz, mode))
            next_day += timedelta(days=1)
            following = candidates.get((cursor, mode))
        if following is None:
            return "not_offered", end
        cursor = following
    if overlapping_appointment(schedule, start, end) is not None:
        return "booked", end
    if is_blocked(_blocks(schedule, centre_id, tz), start, end, mode):
        return "blocked", end
    return None, end
