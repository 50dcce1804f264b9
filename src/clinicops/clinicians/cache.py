"""A per-process cache of rendered directory pages, invalidated by the change feed.

Several API processes each hold their own copy. Triggers announce every committed change to what the directory
shows (clinicians, their logins' names, centres, weekly rules, the organization: ``clinicops.changes``); any such
notification empties this cache, and while the process's listener is not listening nothing is served from it. So
a change committed through any process (or behind every process's back) is seen by every other process on its
next read once its notification has arrived (milliseconds), and a hit costs no query at all.

Fills are guarded by a token taken *before* the database is read: a notification that arrives while a page is
being built refuses its store, so a page read before a change never outlives that change's notification.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from clinicops import changes
from clinicops.clinicians.repository import DirectoryOrganization


class DirectoryCache:
    TOPICS = (changes.CLINICIAN, changes.CENTRE, changes.ORGANIZATION)

    def __init__(self, feed: changes.ChangeFeed, max_entries: int = 512):
        self.feed = feed
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._organizations: dict[Hashable, DirectoryOrganization] = {}
        self.hits = 0
        self.misses = 0
        feed.subscribe(self.TOPICS, lambda _topic, _key: self.clear())

    def organization(self, key: Hashable) -> DirectoryOrganization | None:
        return self._organizations.get(key) if self.feed.trusted() else None

    def put_organization(self, token: int | None, key: Hashable, found: DirectoryOrganization) -> None:
        if self.feed.may_store(token) and len(self._organizations) < self.max_entries:
            self._organizations[key] = found

    def get(self, organization_id: int, key: Hashable) -> Any | None:
        if not self.feed.trusted():
            self.misses += 1
            return None
        entry = self._entries.get((organization_id, key))
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end((organization_id, key))
        self.hits += 1
        return entry

    def put(self, token: int | None, organization_id: int, key: Hashable, value: Any) -> None:
        """Store ``value``, built after ``token = feed.fill_token()`` was taken; refused if anything changed since."""
        if not self.feed.may_store(token):
            return
        self._entries[(organization_id, key)] = value
        self._entries.move_to_end((organization_id, key))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
        self._organizations.clear()

    def __len__(self) -> int:
        return len(self._entries)


# The process's cache; tests make their own instances (with their own feeds) to play several processes.
DIRECTORY = DirectoryCache(changes.FEED)
