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
_HH_MM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


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
    id: int | None = None  # the availability_exceptions row (what an unblock deletes)


@dataclass(slots=True)
class Schedule:
    """Everything one clinician's slots depend on, for a range of dates (loaded in one SQL round trip).

    Derived lookups (rules by weekday, blocks by centre, appointment ends) are built once per schedule, so a
    61-day calendar costs one pass over the data, not 61.
    """

    organization_id: int
    organization_timezone: str
    clinician_id: int
    default_minutes: int
    centres: dict[int, str]  # centre id -> IANA zone
    rules: list[Rule] = field(default_factory=list)
    exceptions: list[DateException] = field(default_factory=list)
    busy: list[tuple[int, int, int]] = field(default_factory=list)  # (start_s, end_s, appointment id), by start
    hold_lapses_at: datetime | None = None  # the next unpaid hold among ``busy`` lapses and frees its slot
    _busy_ends: list[int] | None = None
    _by_weekday: dict[tuple[int, int], list[Rule]] | None = None
    _blocks: dict[int, list[tuple[int, int, str | None]]] = field(default_factory=dict)

    def set_busy(self, starts: list[int], ends: list[int], ids: list[int]) -> None:
        """Appointments already ordered by start (non-overlapping, so their ends are ordered too)."""
        self.busy = list(zip(starts, ends, ids))
        self._busy_ends = ends

    def busy_ends(self) -> list[int]:
        if self._busy_ends is None:
            self.busy.sort()
            self._busy_ends = [end for _, end, _ in self.busy]
        return self._busy_ends

    def rules_on(self, centre_id: int, weekday: int) -> list[Rule]:
        if self._by_weekday is None:
            grouped: dict[tuple[int, int], list[Rule]] = {}
            for rule in self.rules:
                grouped.setdefault((rule.centre_id, rule.weekday), []).append(rule)
            self._by_weekday = grouped
        return self._by_weekday.get((centre_id, weekday), [])


class RawSlot:
    """One generated slot (instants as UNIX seconds); a plain class because thousands are made per request."""

    __slots__ = ("start", "end", "mode", "centre_id", "status", "appointment_id", "past")

    def __init__(self, start: int, end: int, mode: str, centre_id: int, status: str, appointment_id: int | None,
                 past: bool):
        self.start, self.end, self.mode, self.centre_id = start, end, mode, centre_id
        self.status, self.appointment_id, self.past = status, appointment_id, past

    @property
    def available(self) -> bool:
        return self.status == AVAILABLE and not self.past

    def __repr__(self) -> str:
        return f"RawSlot({self.start}, {self.end}, {self.mode}, {self.status}, past={self.past})"


class DayClock:
    """One centre-local calendar day as instants: its bounds, wall-clock -> instant and instant -> ``HH:MM``.

    When the zone keeps one UTC offset all day (the usual case) both directions are integer arithmetic;
    on a day with an offset change they fall back to zoneinfo.
    """

    __slots__ = ("day", "tz", "opens", "closes", "offset")

    def __init__(self, tz: ZoneInfo, day: date):
        self.day, self.tz = day, tz
        self.opens, self.closes = midnight(day, tz), midnight(day + timedelta(days=1), tz)
        first = datetime.fromtimestamp(self.opens, tz).utcoffset()
        last = datetime.fromtimestamp(self.closes + 8 * 3600, tz).utcoffset()  # slots may end after midnight
        self.offset = int(first.total_seconds()) if first == last and first is not None else None

    def at(self, wall: time) -> int:
        if self.offset is None:
            return instant(self.day, wall, self.tz)
        return self.opens + wall.hour * 3600 + wall.minute * 60 + wall.second

    def hm(self, instant_s: int) -> str:
        if self.offset is None:
            return datetime.fromtimestamp(instant_s, self.tz).strftime("%H:%M")
        return _HH_MM[(instant_s + self.offset) // 60 % 1440]


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


def _candidates(schedule: Schedule, centre_id: int, clock: DayClock,
                mode: str | None) -> dict[tuple[int, str], int]:
    """(start, mode) -> end of every slot starting on the clock's day at the centre; weekly rules win over extras."""
    found: dict[tuple[int, str], int] = {}
    day = clock.day
    for rule in schedule.rules_on(centre_id, sunday_weekday(day)):
        if ((mode and rule.mode != mode) or (rule.effective_from and day < rule.effective_from)
                or (rule.effective_to and day > rule.effective_to)):
            continue
        step, rule_mode = rule.minutes * 60, rule.mode
        start, close = clock.at(rule.start), clock.at(rule.end)
        while start + step <= close:
            if (start, rule_mode) not in found:
                found[(start, rule_mode)] = start + step
            start += step
    extras = [x for x in schedule.exceptions if x.kind == "EXTRA" and x.centre_id == centre_id
              and x.start_date <= day <= x.end_date]
    if extras:
        _add_extras(schedule, extras, centre_id, clock, mode, found)
    return found


def _add_extras(schedule: Schedule, extras: list[DateException], centre_id: int, clock: DayClock,
                mode: str | None, found: dict[tuple[int, str], int]) -> None:
    day_open, day_close, tz = clock.opens, clock.closes, clock.tz
    for extra in extras:
        modes = (extra.mode,) if extra.mode else _modes_at(schedule, centre_id)
        step = (extra.minutes or schedule.default_minutes) * 60
        opens, close = exception_window(extra, tz)
        start = opens + max(0, -(-(day_open - opens) // step)) * step  # first step boundary on this day
        while start < day_close and start + step <= close:
            for slot_mode in modes:
                if not mode or slot_mode == mode:
                    found.setdefault((start, slot_mode), start + step)
            start += step


def blocks_at(schedule: Schedule, centre_id: int, tz: ZoneInfo) -> list[tuple[int, int, str | None]]:
    """Unavailable windows that apply at the centre, as (start, end, mode or None for every mode)."""
    found = schedule._blocks.get(centre_id)
    if found is None:
        found = [(*exception_window(x, tz), x.mode) for x in schedule.exceptions
                 if x.kind == "UNAVAILABLE" and (x.centre_id is None or x.centre_id == centre_id)]
        schedule._blocks[centre_id] = found
    return found


def _day_blocks(schedule: Schedule, centre_id: int, clock: DayClock) -> list[tuple[int, int, str | None]]:
    """The blocks that can touch a slot starting on the clock's day (slots last at most 8 hours)."""
    blocks = blocks_at(schedule, centre_id, clock.tz)
    if not blocks:
        return blocks
    opens, closes = clock.opens, clock.closes + 8 * 3600
    return [b for b in blocks if b[0] < closes and b[1] > opens]


def overlapping_appointment(schedule: Schedule, start: int, end: int) -> int | None:
    """The first active appointment of the clinician overlapping [start, end) (they never overlap each other)."""
    ends = schedule.busy_ends()
    index = bisect_right(ends, start)
    if index < len(schedule.busy) and schedule.busy[index][0] < end:
        return schedule.busy[index][2]
    return None


def is_blocked(blocks: Iterable[tuple[int, int, str | None]], start: int, end: int, mode: str) -> bool:
    for b_start, b_end, b_mode in blocks:
        if b_start < end and start < b_end and (b_mode is None or b_mode == mode):
            return True
    return False


def blocking_exception(schedule: Schedule, centre_id: int, tz: ZoneInfo, start: int, end: int,
                       mode: str) -> int | None:
    """The id of the first unavailable exception that blocks [start, end) in ``mode`` at the centre (None: none)."""
    for x in schedule.exceptions:
        if (x.kind != "UNAVAILABLE" or (x.centre_id is not None and x.centre_id != centre_id)
                or (x.mode is not None and x.mode != mode)):
            continue
        b_start, b_end = exception_window(x, tz)
        if b_start < end and start < b_end:
            return x.id
    return None


def centre_day(schedule: Schedule, centre_id: int, day: date, *, mode: str | None, now: int,
               clock: DayClock | None = None) -> list[RawSlot]:
    """Every slot of ``day`` (the centre's calendar date) at one centre, by start then mode, with its status."""
    clock = clock or DayClock(ZoneInfo(schedule.centres[centre_id]), day)
    blocks = _day_blocks(schedule, centre_id, clock)
    busy, ends = schedule.busy, schedule.busy_ends()
    n_busy = len(busy)
    slots: list[RawSlot] = []
    for (start, slot_mode), end in sorted(_candidates(schedule, centre_id, clock, mode).items()):
        index = bisect_right(ends, start)  # inlined overlapping_appointment: this loop is the hot path
        if index < n_busy and busy[index][0] < end:
            slots.append(RawSlot(start, end, slot_mode, centre_id, BOOKED, busy[index][2], start < now))
        elif blocks and is_blocked(blocks, start, end, slot_mode):
            slots.append(RawSlot(start, end, slot_mode, centre_id, BLOCKED, None, start < now))
        else:
            slots.append(RawSlot(start, end, slot_mode, centre_id, AVAILABLE, None, start < now))
    return slots


def free_summary(schedule: Schedule, centre_id: int, day: date, tz: ZoneInfo, *, mode: str | None,
                 now: int) -> tuple[int, int | None]:
    """(number of available slots, start of the first one) of ``day``: :func:`centre_day` without the objects."""
    clock = DayClock(tz, day)
    blocks = _day_blocks(schedule, centre_id, clock)
    busy, ends = schedule.busy, schedule.busy_ends()
    n_busy = len(busy)
    count, first = 0, None
    for (start, slot_mode), end in _candidates(schedule, centre_id, clock, mode).items():
        if start < now:
            continue
        index = bisect_right(ends, start)
        if (index < n_busy and busy[index][0] < end) or (blocks and is_blocked(blocks, start, end, slot_mode)):
            continue
        count += 1
        if first is None or start < first:
            first = start
    return count, first


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
    candidates = _candidates(schedule, centre_id, DayClock(tz, day), mode)
    first_end = candidates.get((start, mode))
    if first_end is None:
        return "not_offered", start
    end = first_end if end is None else end
    cursor, next_day = first_end, day + timedelta(days=1)
    while cursor < end:
        following = candidates.get((cursor, mode))
        if following is None and next_day == day + timedelta(days=1):  # it may run on past midnight
            candidates.update(_candidates(schedule, centre_id, DayClock(tz, next_day), mode))
            next_day += timedelta(days=1)
            following = candidates.get((cursor, mode))
        if following is None:
            return "not_offered", end
        cursor = following
    if overlapping_appointment(schedule, start, end) is not None:
        return "booked", end
    if is_blocked(blocks_at(schedule, centre_id, tz), start, end, mode):
        return "blocked", end
    return None, end
