"""A per-process cache of rendered directory pages, validated on every read against the database.

Several API processes each hold their own copy. Before answering, a process reads one fingerprint of everything
the directory shows (clinicians, their logins' names, centres, weekly rules; see
``repository.directory_version``); an entry is served only when it was built under that same fingerprint. So a
change committed through any process is seen by every other process on its very next read, at the cost of one
small query instead of the full directory query and its JSON rendering.

The fingerprint is read *before* the data it guards: an entry may hold data newer than its fingerprint (it is
then simply rebuilt once more), never older.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class DirectoryCache:
    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[str, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, organization_id: int, key: Hashable, version: str) -> Any | None:
        entry = self._entries.get((organization_id, key))
        if entry is None or entry[0] != version:
            self.misses += 1
            return None
        self._entries.move_to_end((organization_id, key))
        self.hits += 1
        return entry[1]

    def put(self, organization_id: int, key: Hashable, version: str, value: Any) -> None:
        self._entries[(organization_id, key)] = (version, value)
        self._entries.move_to_end((organization_id, key))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# The process's cache; tests make their own instances to play two processes.
DIRECTORY = DirectoryCache()
