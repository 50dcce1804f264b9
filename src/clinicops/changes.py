"""The change feed: committed changes announced through PostgreSQL ``LISTEN/NOTIFY``, for process-local caches.

What is announced, and by whom. Triggers on the tables the caches read (migration 0003) call
``pg_notify('clinicops_changes', 'topic:key')`` in the writing transaction, whatever wrote the row: a service, raw
SQL, the seed, another process. PostgreSQL delivers a notification only when that transaction commits (never for a
rollback), and a listener that has received one sees the change in its next snapshot. Code that changes something
a cache holds but no trigger sees calls :func:`publish` in its transaction. Topics:

- ``user:<user id>``: anything an access-token check reads (active, deleted, token_version, password, type,
  organization, name, roles and their centres, the linked clinician or patient);
- ``session:<family id>``: a session family created, rotated, revoked (logout, reuse) or deleted;
- ``clinician:<clinician id>``: a profile, its login's public fields, or its weekly rules;
- ``centre:<centre id>``, ``organization:<organization id>``;
- ``schedule:<clinician id>``: an appointment's time, status or hold, a dated exception, or a payment of an
  appointment (migration 0009): what a clinician's slots are computed from besides the topics above;
- ``*:*``: a table was truncated; everything is forgotten.

The guarantee a cache gets. Each serving process runs ONE listener connection (:class:`ChangeFeed`, started in
the app's lifespan). A cache may answer from memory only while :meth:`ChangeFeed.trusted` (the listener is
connected and listening); otherwise it reads the database. When the connection is lost every subscriber is
cleared, the feed reconnects with backoff, and it is trusted again only after ``LISTEN`` succeeded and the caches
were cleared once more (notifications sent while nobody listened are lost, so nothing from before may survive).
A filler takes a :meth:`ChangeFeed.fill_token` *before* it reads the database and stores with it; any
invalidation or loss in between refuses the store, so an entry read before a change never outlives its
notification. The window in which another process may still answer from the old entry is the notification's
delivery time (milliseconds; ``tests/faults/test_cross_process_invalidation.py`` measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.logging import get_logger

log = get_logger("clinicops.changes")

CHANNEL = "clinicops_changes"
USER, SESSION, CLINICIAN, CENTRE, ORGANIZATION, SCHEDULE, EVERYTHING = (
    "user", "session", "clinician", "centre", "organization", "schedule", "*")

Invalidate = Callable[[str, str], None]  # (topic, key); topic "*" means forget everything


async def publish(session: AsyncSession, topic: str, key: object) -> None:
    """Announce a change to ``topic``/``key`` when (and only if) the caller's transaction commits."""
    await session.execute(text("SELECT pg_notify(:channel, :payload)"),
                          {"channel": CHANNEL, "payload": f"{topic}:{key}"})


def parse(payload: str) -> tuple[str, str]:
    topic, _, key = payload.partition(":")
    return topic, key


class ChangeFeed:
    """One process's listener and the caches it keeps honest."""

    def __init__(self, *, probe_every_s: float = 10.0, max_backoff_s: float = 5.0) -> None:
        self._subscribers: list[tuple[frozenset[str], Invalidate]] = []
        self._connection: Any = None
        self._listening = False
        self._generation = 0
        self._task: asyncio.Task | None = None
        self._lost: asyncio.Event | None = None
        self.probe_every_s = probe_every_s
        self.max_backoff_s = max_backoff_s
        self.delivered = 0
        self.reconnects = 0

    # --- for caches ---

    def subscribe(self, topics: Iterable[str], invalidate: Invalidate) -> None:
        """``invalidate(topic, key)`` runs for every notification of ``topics``, and with ``("*", "*")`` whenever
        the feed loses or regains its connection."""
        self._subscribers.append((frozenset(topics), invalidate))

    def trusted(self) -> bool:
        connection = self._connection
        return self._listening and connection is not None and not connection.is_closed()

    def fill_token(self) -> int | None:
        """Taken before reading what will be stored; None when the feed is not trusted (do not store)."""
        return self._generation if self.trusted() else None

    def may_store(self, token: int | None) -> bool:
        return token is not None and token == self._generation and self.trusted()

    # --- the listener ---

    def start(self, dsn: str) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(dsn), name="change-feed-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._drop("stopped")

    async def wait_listening(self, timeout: float = 10.0) -> None:
        async def listening() -> None:
            while not self.trusted():
                await asyncio.sleep(0.01)
        await asyncio.wait_for(listening(), timeout)

    async def _run(self, dsn: str) -> None:
        import asyncpg

        backoff = 0.05
        while True:
            try:
                self._lost = asyncio.Event()
                self._connection = await asyncpg.connect(
                    dsn, timeout=5, server_settings={"application_name": "clinicops-listener"})
                self._connection.add_termination_listener(lambda _conn: self._on_lost())
                await self._connection.add_listener(CHANNEL, self._on_notification)
                self._forget_everything()  # whatever was announced while nobody listened is lost
                self._listening = True
                log.info("change_feed_listening", reconnects=self.reconnects)
                backoff = 0.05
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: untrusted until listening again
                log.warning("change_feed_lost", error=type(exc).__name__)
            await self._drop("lost")
            self.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff_s)

    async def _watch(self) -> None:
        """Until the connection is lost; a periodic probe catches a connection that died silently."""
        assert self._lost is not None
        while not self._lost.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.probe_every_s)
                return
            await asyncio.wait_for(self._connection.fetchval("SELECT 1"), 5)

    def _on_lost(self) -> None:
        self._listening = False
        self._forget_everything()
        if self._lost is not None:
            self._lost.set()

    async def _drop(self, why: str) -> None:
        was_listening = self._listening
        self._listening = False
        self._forget_everything()
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
        if was_listening:
            log.info("change_feed_stopped", why=why)

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.delivered += 1
        topic, key = parse(payload)
        self._generation += 1
        for topics, invalidate in self._subscribers:
            if topic == EVERYTHING:
                invalidate(EVERYTHING, key)
            elif topic in topics:
                invalidate(topic, key)

    def _forget_everything(self) -> None:
        self._generation += 1
        for _topics, invalidate in self._subscribers:
            invalidate(EVERYTHING, EVERYTHING)


def listener_dsn(sqlalchemy_url: str) -> str:
    """A plain DSN for asyncpg from the application's SQLAlchemy URL (same host, database and credentials)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


# The serving process's feed; tests make their own to play several processes.
FEED = ChangeFeed()


class Snapshots:
    """A small per-process cache of values read from the database, emptied by any notification of ``topics``.

    Usage: ``token = cache.feed.fill_token()`` before the read, ``cache.put(token, key, value)`` after it; ``get``
    answers only while the feed is trusted. For values every process may hold whole (an organization's centres).
    """

    def __init__(self, feed: ChangeFeed, topics: Iterable[str], max_entries: int = 1024) -> None:
        self.feed = feed
        self.max_entries = max_entries
        self._entries: dict[Any, Any] = {}
        feed.subscribe(topics, lambda _topic, _key: self._entries.clear())

    def get(self, key: Any) -> Any | None:
        return self._entries.get(key) if self.feed.trusted() else None

    def put(self, token: int | None, key: Any, value: Any) -> None:
        if self.feed.may_store(token):
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # rare (more organizations than entries): start over rather than track age
            self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
