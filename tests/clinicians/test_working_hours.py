"""A clinic doctor's week → weekly availability rules (pure: no database)."""

from __future__ import annotations

from datetime import time

import pytest

from clinicops.clinicians.working_hours import WorkingHours
from clinicops.errors import ValidationFailed


def week(days=(1, 2), start=time(9), end=time(17), lunch=(time(13), time(14)), minutes=15) -> WorkingHours:
    return WorkingHours(tuple(days), start, end, lunch, minutes)


def test_lunch_splits_each_working_day_in_two():
    rules = week().rules(centre_id=5)
    assert [(r.weekday, r.start_time, r.end_time, r.slot_minutes, r.centre_id, r.mode) for r in rules] == [
        (1, time(9), time(13), 15, 5, "IN_PERSON"), (1, time(14), time(17), 15, 5, "IN_PERSON"),
        (2, time(9), time(13), 15, 5, "IN_PERSON"), (2, time(14), time(17), 15, 5, "IN_PERSON")]


def test_no_lunch_is_one_window_and_a_lunch_at_the_edge_leaves_one():
    assert week(lunch=None).windows() == [(time(9), time(17))]
    assert week(lunch=(time(9), time(10))).windows() == [(time(10), time(17))]
    assert week(lunch=(time(16), time(17))).windows() == [(time(9), time(16))]


def test_no_working_days_is_no_rules():
    hours = week(days=())
    hours.check()
    assert hours.rules(centre_id=1) == []


@pytest.mark.parametrize("hours, field", [
    (week(days=(7,)), "working_days"),
    (week(days=(1, 1)), "working_days"),
    (week(start=time(17), end=time(9), lunch=None), "end_time"),
    (week(start=time(9), end=time(9), lunch=None), "end_time"),
    (week(lunch=(time(14), time(13))), "lunch_break"),
    (week(lunch=(time(8), time(10))), "lunch_break"),
    (week(lunch=(time(16), time(18))), "lunch_break"),
    (week(minutes=4), "consultation_duration"),
    (week(minutes=481), "consultation_duration"),
    (week(start=time(9), end=time(10), lunch=(time(9, 20), time(9, 40)), minutes=30), "consultation_duration"),
    (week(start=time(9, 0, 30)), "start_time"),
])
def test_a_week_that_cannot_be_worked_names_its_field(hours, field):
    with pytest.raises(ValidationFailed) as raised:
        hours.check()
    assert raised.value.details[0]["field"] == field
