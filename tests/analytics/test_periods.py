"""Calendar arithmetic of the dashboard (no database): periods, chart buckets, percentage change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from clinicops.analytics.periods import BucketUnit, SeriesPeriod, dashboard_windows, percent_change, series, share

IST = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")


def days(window) -> tuple[str, str]:
    return window.first_day.isoformat(), window.last_day.isoformat()


@pytest.mark.parametrize(("today", "current", "previous"), [
    (date(2027, 5, 21), ("2027-05-01", "2027-05-21"), ("2027-04-01", "2027-04-21")),
    # the 1st: one day against the first day of the previous month
    (date(2027, 6, 1), ("2027-06-01", "2027-06-01"), ("2027-05-01", "2027-05-01")),
    (date(2028, 1, 1), ("2028-01-01", "2028-01-01"), ("2027-12-01", "2027-12-01")),
    # longer than the previous month: clamped to its length, never spilling into this month
    (date(2027, 3, 31), ("2027-03-01", "2027-03-31"), ("2027-02-01", "2027-02-28")),
    (date(2027, 3, 29), ("2027-03-01", "2027-03-29"), ("2027-02-01", "2027-02-28")),
    (date(2028, 3, 31), ("2028-03-01", "2028-03-31"), ("2028-02-01", "2028-02-29")),  # leap year
    (date(2028, 3, 29), ("2028-03-01", "2028-03-29"), ("2028-02-01", "2028-02-29")),
    (date(2027, 5, 31), ("2027-05-01", "2027-05-31"), ("2027-04-01", "2027-04-30")),
    (date(2027, 2, 28), ("2027-02-01", "2027-02-28"), ("2027-01-01", "2027-01-28")),
])
def test_month_to_date_against_the_same_days_of_the_previous_month(today, current, previous):
    this, before = dashboard_windows(today, IST)
    assert days(this) == current and days(before) == previous
    assert before.end_at <= this.start_at


def test_periods_are_whole_days_in_the_given_zone():
    this, before = dashboard_windows(date(2027, 3, 20), NEW_YORK)
    assert this.start_at.astimezone(UTC) == datetime(2027, 3, 1, 5, tzinfo=UTC)  # EST
    assert this.end_at.astimezone(UTC) == datetime(2027, 3, 21, 4, tzinfo=UTC)  # EDT
    assert before.start_at.astimezone(UTC) == datetime(2027, 2, 1, 5, tzinfo=UTC)
    assert before.end_at.astimezone(UTC) == datetime(2027, 2, 21, 5, tzinfo=UTC)
    ist, _ = dashboard_windows(date(2027, 3, 20), IST)
    assert ist.start_at.astimezone(UTC) == datetime(2027, 2, 28, 18, 30, tzinfo=UTC)


def test_chart_buckets():
    week = series(SeriesPeriod.WEEK, date(2027, 3, 2), IST)
    assert week.unit is BucketUnit.DAY
    assert [d.isoformat() for d in week.starts] == ["2027-02-24", "2027-02-25", "2027-02-26", "2027-02-27",
                                                    "2027-02-28", "2027-03-01", "2027-03-02"]
    month = series(SeriesPeriod.MONTH, date(2027, 3, 2), IST)
    assert len(month.starts) == 30 and month.starts[0] == date(2027, 2, 1) and month.starts[-1] == date(2027, 3, 2)
    year = series(SeriesPeriod.YEAR, date(2027, 1, 15), IST)
    assert year.unit is BucketUnit.MONTH
    assert [d.isoformat() for d in year.starts] == [f"2026-{m:02d}-01" for m in range(2, 13)] + ["2027-01-01"]
    assert days(year.span) == ("2026-02-01", "2027-01-15")
    assert days(series(SeriesPeriod.YEAR, date(2027, 12, 31), IST).span) == ("2027-01-01", "2027-12-31")


@pytest.mark.parametrize(("current", "previous", "expected"), [
    (3, 2, 50.0), (1, 2, -50.0), (2, 2, 0.0), (0, 4, -100.0), (1, 3, -66.7), (2, 3, -33.3), (4, 3, 33.3),
    (5, 3, 66.7), (230050, 200000, 15.0), (1001, 8000, -87.5), (2001, 8000, -75.0),
    (1, 8000, -100.0), (8001, 8000, 0.0), (8004, 8000, 0.1),  # 0.0125 → 0.0, 0.05 → 0.1 (halves away from 0)
    (7996, 8000, -0.1),
    (0, 0, 0.0),  # an empty period against an empty one: no change
    (5, 0, None),  # against an empty previous period: no comparison possible (never +100 %, never ÷0)
])
def test_percent_change(current, previous, expected):
    assert percent_change(current, previous) == expected


def test_share():
    assert (share(1, 3), share(2, 3), share(0, 0), share(4, 4)) == (33.3, 66.7, 0.0, 100.0)
