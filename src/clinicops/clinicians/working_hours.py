"""A clinic doctor's week, as the clinic surface states it, and the weekly availability rules it becomes.

The clinic says: these working days, from ``start_time`` to ``end_time``, with an optional lunch break, and
consultations of N minutes. That is one rule per working day at the clinic's one centre (in person), split in two
around lunch, each cut into N-minute slots by the slot engine. No SQL and no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from clinicops.clinicians.availability import RuleSpec
from clinicops.errors import ValidationFailed

MONDAY_TO_SATURDAY = (1, 2, 3, 4, 5, 6)  # 0 = Sunday … 6 = Saturday, as availability rules count them
MIN_MINUTES, MAX_MINUTES = 5, 480  # what an availability rule's slot may be


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


@dataclass(frozen=True)
class WorkingHours:
    working_days: tuple[int, ...]
    start_time: time
    end_time: time
    lunch_break: tuple[time, time] | None
    consultation_duration: int  # minutes

    def check(self) -> None:
        """Raise :class:`ValidationFailed` naming the first field that cannot be a week of work."""
        if any(not 0 <= day <= 6 for day in self.working_days):
            raise ValidationFailed("working_days", "working days are 0 (Sunday) to 6 (Saturday)")
        if len(set(self.working_days)) != len(self.working_days):
            raise ValidationFailed("working_days", "a working day is listed twice")
        if any(t.second or t.microsecond for t in (self.start_time, self.end_time, *(self.lunch_break or ()))):
            raise ValidationFailed("start_time", "times are whole minutes (HH:MM)")
        if self.start_time >= self.end_time:
            raise ValidationFailed("end_time", "end_time must be later than start_time")
        if self.lunch_break is not None:
            lunch_start, lunch_end = self.lunch_break
            if lunch_start >= lunch_end:
                raise ValidationFailed("lunch_break", "the lunch break must end after it starts")
            if lunch_start < self.start_time or lunch_end > self.end_time:
                raise ValidationFailed("lunch_break", "the lunch break must lie within the working hours")
        if not MIN_MINUTES <= self.consultation_duration <= MAX_MINUTES:
            raise ValidationFailed("consultation_duration",
                                   f"consultation_duration must be {MIN_MINUTES} to {MAX_MINUTES} minutes")
        longest = max(_minutes(end) - _minutes(start) for start, end in self.windows())
        if self.consultation_duration > longest:
            raise ValidationFailed("consultation_duration",
                                   "consultation_duration is longer than the working hours around lunch")

    def windows(self) -> list[tuple[time, time]]:
        """The working hours of one day, lunch taken out (empty windows dropped)."""
        if self.lunch_break is None:
            return [(self.start_time, self.end_time)]
        lunch_start, lunch_end = self.lunch_break
        return [(a, b) for a, b in ((self.start_time, lunch_start), (lunch_end, self.end_time)) if a < b]

    def rules(self, centre_id: int) -> list[RuleSpec]:
        """The weekly rules at ``centre_id``: each working day's windows, in person, cut into consultations."""
        return [RuleSpec(centre_id=centre_id, weekday=day, start_time=start, end_time=end, mode="IN_PERSON",
                         slot_minutes=self.consultation_duration)
                for day in sorted(self.working_days) for start, end in self.windows()]
