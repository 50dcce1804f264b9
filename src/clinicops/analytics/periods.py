"""Dashboard periods, chart buckets and percentage change: calendar arithmetic only, no SQL and no I/O here.

Every period is a run of whole calendar days in the organization's zone, turned into UTC instants at the edges,
so the figures never depend on the server's zone and a day is a day across a DST change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEK_DAYS = 7
MONTH_DAYS = 30
YEAR_MONTHS = 12


@dataclass(frozen=True)
class Window:
    """Calendar days ``first_day`` .. ``last_day`` (inclusive) in a zone, and the instants [start_at, end_at)."""

    first_day: date
    last_day: date
    start_at: datetime
    end_at: datetime

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def days_window(first_day: date, last_day: date, tz: ZoneInfo) -> Window:
    return Window(first_day, last_day, datetime.combine(first_day, time(0), tzinfo=tz),
                  datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz))


def dashboard_windows(today: date, tz: ZoneInfo) -> tuple[Window, Window]:
    """(this period, the period it is compared with).

    This period is the calendar month to date: its first day through today, today included whole. The previous
    period is as many days from the first of the previous month, clamped to that month's length: on 31 March
    (31 days) it is 1–28 February (or 1–29 in a leap year), never a window spilling into March.
    """
    month_start = today.replace(day=1)
    previous_last_of_month = month_start - timedelta(days=1)
    previous_start = previous_last_of_month.replace(day=1)
    days = (today - month_start).days + 1
    previous_last = min(previous_start + timedelta(days=days - 1), previous_last_of_month)
    return days_window(month_start, today, tz), days_window(previous_start, previous_last, tz)


class SeriesPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class BucketUnit(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True)
class Series:
    """The buckets of a revenue chart: their first days (oldest first), their unit and the whole span."""

    unit: BucketUnit
    starts: list[date]
    span: Window


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + (day.month - 1) - back
    return date(index // 12, index % 12 + 1, 1)


def series(period: SeriesPeriod, today: date, tz: ZoneInfo) -> Series:
    """week: the last 7 days, one point a day; month: the last 30 days, one point a day; year: the last 12
    calendar months (the current one to date), one point a month. Today is always the last day covered."""
    if period is SeriesPeriod.YEAR:
        starts = [_month_start(today, back) for back in range(YEAR_MONTHS - 1, -1, -1)]
        return Series(BucketUnit.MONTH, starts, days_window(starts[0], today, tz))
    count = WEEK_DAYS if period is SeriesPeriod.WEEK else MONTH_DAYS
    starts = [today - timedelta(days=back) for back in range(count - 1, -1, -1)]
    return Series(BucketUnit.DAY, starts, days_window(starts[0], today, tz))


def percent_change(current: int, previous: int) -> float | None:
    """(current − previous) / previous × 100 to one decimal (halves away from zero).

    Against an empty previous period there is nothing to compare with: 0 when this period is empty too, else
    None ("no comparison possible") — never a division by zero and never a made-up +100 %.
    """
    if previous == 0:
        return 0.0 if current == 0 else None
    ratio = Decimal(current - previous) * 100 / Decimal(previous)
    return float(ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole`` to one decimal (0 of nothing is 0)."""
    if whole == 0:
        return 0.0
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
