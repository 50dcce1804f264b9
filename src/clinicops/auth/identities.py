"""The access-token check's identities, cached per process and invalidated by the change feed.

An entry is keyed by (user id, session family) and holds what ``repository.load_identity`` read: the user's
state, roles and centres, linked clinician or patient, and the family's expiry (judged at each use). It is
dropped on ``user:<id>`` (deactivation, deletion, role or centre change, token_version bump, password change)
and ``session:<family>`` (logout, revocation, rotation), and everything is dropped whenever the feed is not
listening, during which nothing is served from memory (``clinicops.changes`` states the guarantee). No entry
expires by time: a change reaches every process through its notification, never through a timeout.
"""

from __future__ import annotations

from collections import OrderedDict

from clinicops import changes
from clinicops.auth.repository import IdentityRow

Key = tuple[int, str | None]


class IdentityCache:
    def __init__(self, feed: changes.ChangeFeed, max_entries: int = 10_000) -> None:
        self.feed = feed
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, IdentityRow] = OrderedDict()
        self._by_user: dict[int, set[Key]] = {}
        self._by_family: dict[str, set[Key]] = {}
        self.hits = 0
        self.misses = 0
        feed.subscribe((changes.USER, changes.SESSION), self._invalidate)

    def get(self, user_id: int, session_family: str | None) -> IdentityRow | None:
        if not self.feed.trusted():
            self.misses += 1
            return None
        key = (user_id, session_family)
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found

    def put(self, token: int | None, row: IdentityRow) -> None:
        """Store ``row``, read after ``token = feed.fill_token()`` was taken; refused if anything changed since."""
        if not self.feed.may_store(token):
            return
        key = (row.user_id, row.session_family)
        self._entries[key] = row
        self._entries.move_to_end(key)
        self._by_user.setdefault(row.user_id, set()).add(key)
        if row.session_family is not None:
            self._by_family.setdefault(row.session_family, set()).add(key)
        while len(self._entries) > self.max_entries:
            self._forget(next(iter(self._entries)))

    def _forget(self, key: Key) -> None:
        if self._entries.pop(key, None) is None:
            return
        user_id, family = key
        for index, name in ((self._by_user, user_id), (self._by_family, family)):
            keys = index.get(name)  # type: ignore[call-overload]
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[name]  # type: ignore[arg-type]

    def _invalidate(self, topic: str, key: str) -> None:
        if topic == changes.EVERYTHING:
            self.clear()
        elif topic == changes.USER and key.isdigit():
            for entry in list(self._by_user.get(int(key), ())):
                self._forget(entry)
        elif topic == changes.SESSION:
            for entry in list(self._by_family.get(key, ())):
                self._forget(entry)
        else:  # a key this cache cannot place: forgetting everything is always right
            self.clear()

    def clear(self) -> None:
        self._entries.clear()
        self._by_user.clear()
        self._by_family.clear()

    def __len__(self) -> int:
        return len(self._entries)


# The process's cache; tests make their own (with their own feed) to play several processes.
IDENTITIES = IdentityCache(changes.FEED)
