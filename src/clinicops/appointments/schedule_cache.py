"""A per-process cache of clinicians' schedules for the public slot reads, emptied by the change feed.

A slot list is computed from a :class:`~clinicops.appointments.slot_engine.Schedule` (one SQL round trip,
``slot_repository``). The schedule holds no clock: past slots are dropped when the slots are generated, so one
schedule serves every request until something it was read from changes. Each kind of change is announced by a
trigger, whoever commits it (``clinicops.changes``; migrations 0003 and 0009):

- ``schedule:<clinician>``: an appointment booked, moved, cancelled or released, a dated exception, a payment of
  an appointment: that clinician's entries are dropped;
- ``clinician:<clinician>``: the clinician's profile or weekly rules: that clinician's entries are dropped;
- ``centre``, ``organization`` or a lost listener: everything is dropped.

The one change nobody writes is time itself: an unpaid hold lapses (frees its slot) at ``hold_expires_at``
without any write. An entry therefore stops answering at the instant the first unpaid hold in it lapses
(``Schedule.hold_lapses_at``) and is read again, with the lapse rule of ``lifecycle.holds`` applied by the SQL.

Like the other caches it answers only while the process's listener is listening, and a fill is refused when any
notification arrived between its token (taken before the read) and its store. So another process's booking is
in this process's next answer once the notification has arrived (milliseconds;
``tests/faults/test_cross_process_invalidation.py`` measures it). Booking itself never reads from here: it checks
the slot inside its own transaction, and the database's exclusion constraint stays the final guard.

Cached schedules are shared between requests: callers must not change them (the engine only fills its own lazy
lookups, which depend on nothing but the schedule).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime

from clinicops import changes
from clinicops.appointments.slot_engine import Schedule


class ScheduleCache:
    TOPICS = (changes.SCHEDULE, changes.CLINICIAN, changes.CENTRE, changes.ORGANIZATION)
    _PER_CLINICIAN = (changes.SCHEDULE, changes.CLINICIAN)

    def __init__(self, feed: changes.ChangeFeed, max_entries: int = 1024) -> None:
        self.feed = feed
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, Hashable], Schedule] = OrderedDict()
        self._keys_of: dict[int, set[tuple[int, Hashable]]] = {}
        self.hits = 0
        self.misses = 0
        feed.subscribe(self.TOPICS, self._invalidate)

    def get(self, clinician_id: int, key: Hashable, now: datetime) -> Schedule | None:
        """The schedule stored for ``key``, if it is still exact at ``now`` and the feed is listening."""
        entry = self._entries.get((clinician_id, key)) if self.feed.trusted() else None
        if entry is not None and entry.hold_lapses_at is not None and now >= entry.hold_lapses_at:
            self._drop((clinician_id, key))
            entry = None
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end((clinician_id, key))
        self.hits += 1
        return entry

    def put(self, token: int | None, clinician_id: int, key: Hashable, schedule: Schedule) -> None:
        """Store ``schedule``, read after ``token = feed.fill_token()`` was taken; refused if anything changed since."""
        if not self.feed.may_store(token):
            return
        full = (clinician_id, key)
        self._entries[full] = schedule
        self._entries.move_to_end(full)
        self._keys_of.setdefault(clinician_id, set()).add(full)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._keys_of.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, full: tuple[int, Hashable]) -> None:
        self._entries.pop(full, None)
        keys = self._keys_of.get(full[0])
        if keys is not None:
            keys.discard(full)
            if not keys:
                del self._keys_of[full[0]]

    def _invalidate(self, topic: str, key: str) -> None:
        if topic in self._PER_CLINICIAN and key.isdigit():
            for full in self._keys_of.pop(int(key), ()):
                self._entries.pop(full, None)
        else:
            self.clear()


# The serving process's cache; tests make their own (with their own feeds) to play several processes.
SCHEDULES = ScheduleCache(changes.FEED)
