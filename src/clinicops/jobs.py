"""The durable job queue (procrastinate, in PostgreSQL) and the enqueue-after-commit helper.

Tasks live on :data:`tasks` (a blueprint) in each domain's ``tasks.py``; :func:`get_app` binds them to a
connector for the configured database. This module sits below every domain and imports none: the process's
entry point imports them (``clinicops.wiring``) before the app is built. A job takes ids, opens its own unit of
work and is safe to run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import procrastinate
import psycopg_pool
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.db import after_commit, libpq_url
from clinicops.logging import get_logger

log = get_logger("clinicops.jobs")

tasks = procrastinate.Blueprint()

_app: procrastinate.App | None = None
_connector: Any = None

#: Seconds between restarts of a worker that stopped on an error (the database went away), growing per failure.
RESTART_BACKOFF_S = (1, 2, 5, 10, 30)
#: A worker that ran this long before failing starts again from the shortest pause.
STABLE_AFTER_S = 60


class _PatientPool(psycopg_pool.AsyncConnectionPool):
    """A pool that opens without waiting for the database.

    procrastinate opens its pool with ``wait=True``, so a process started while PostgreSQL is down would fail
    to start; this pool starts at once and connects in the background (dead connections are replaced on
    checkout by ``check``).
    """

    async def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        await super().open(wait=False, timeout=timeout)


def _psycopg_connector() -> procrastinate.PsycopgConnector:
    return procrastinate.PsycopgConnector(
        conninfo=libpq_url(), pool_factory=_PatientPool, min_size=1, max_size=4, timeout=5, name="clinicops-jobs")


def use_connector(connector: Any) -> None:
    """Bind the job app to a given connector (the tests use procrastinate's in-memory one by default).

    The app itself is kept: ``add_tasks_from`` renames the blueprint's tasks in place, so building a second
    app would register ``clinicops:clinicops:...`` names that no enqueue ever matches.
    """
    global _connector
    _connector = connector
    if _app is not None:
        _app.connector = connector or _psycopg_connector()
        _app.job_manager.connector = _app.connector


def get_app() -> procrastinate.App:
    """The job app with every task registered so far: build it after the task modules are imported (an entry
    point imports ``clinicops.wiring`` first); built with none, it would run nothing, so that is refused."""
    global _app
    if _app is None:
        if not tasks.tasks:
            raise RuntimeError("no job task is registered: import clinicops.wiring before building the job app")
        connector = _connector or _psycopg_connector()
        app = procrastinate.App(connector=connector)
        app.add_tasks_from(tasks, namespace="clinicops")
        _app = app
    return _app


def reset_app() -> None:
    """Forget a connector set by :func:`use_connector`; the configured database is used again."""
    use_connector(None)


async def defer_now(task_name: str, **kwargs: Any) -> None:
    """Enqueue immediately (outside any business transaction), e.g. from a job or a webhook receipt."""
    app = get_app()
    name = task_name if task_name.startswith("clinicops:") else f"clinicops:{task_name}"
    await app.configure_task(name=name).defer_async(**kwargs)


def enqueue(session: AsyncSession, task_name: str, **kwargs: Any) -> None:
    """Enqueue ``task_name`` once ``session``'s unit of work has committed (never for a rolled-back change).

    Every process that serves requests keeps the job app open (see ``main.lifespan``), whether or not it runs a
    worker. If enqueueing fails after the commit, the periodic sweeps in each domain pick the work up, because the
    state that needs work (an outbox row, an expired hold) is itself in the database.
    """

    async def _defer() -> None:
        try:
            await defer_now(task_name, **kwargs)
        except procrastinate.exceptions.AlreadyEnqueued:
            pass  # a job holding the same queueing lock is still waiting; it will do this work too
        except Exception:  # the sweep recovers it; never fail a committed request
            log.exception("enqueue_failed", task=task_name)

    after_commit(session, _defer)


async def run_worker(*, concurrency: int = 4, install_signal_handlers: bool = True, **options: Any) -> None:
    """Work the queue until stopped. Succeeded jobs are deleted (the periodic sweeps alone would add thousands of
    rows a day); failed ones stay for inspection."""
    await get_app().run_worker_async(concurrency=concurrency, install_signal_handlers=install_signal_handlers,
                                     delete_jobs="successful", **options)


async def work_until(stop: asyncio.Event, *, concurrency: int = 4) -> None:
    """Work the queue until ``stop`` is set, starting the worker again whenever it stops on its own.

    procrastinate's worker returns or raises when its connection fails (a PostgreSQL restart ends its
    LISTEN side task); this loop logs it and starts a new worker after a growing pause, so a database restart
    costs seconds of job latency, never the worker. The job app must be open (``app.open_async()``).
    """
    failures = 0
    while not stop.is_set():
        began = time.monotonic()
        worker = asyncio.create_task(run_worker(concurrency=concurrency, install_signal_handlers=False))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            worker.cancel()  # procrastinate stops fetching and lets running jobs finish
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
            return
        stopping.cancel()
        error = worker.exception()
        if time.monotonic() - began > STABLE_AFTER_S:
            failures = 0
        pause = RESTART_BACKOFF_S[min(failures, len(RESTART_BACKOFF_S) - 1)]
        failures += 1
        log.error("job_worker_stopped", error=f"{type(error).__name__}: {error}" if error else "returned",
                  restart_in_s=pause, failures=failures)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)


# --- health: is anything working the queue? ----------------------------------------------------------------

#: procrastinate's workers write a heartbeat every 10 s; none fresher than this means no worker is working.
HEARTBEAT_STALE_AFTER_S = 60


async def heartbeat_age(session: AsyncSession) -> float | None:
    """Seconds since the freshest worker heartbeat in the database, or None when no worker has registered."""
    age = (await session.execute(text(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - max(last_heartbeat)) FROM procrastinate_workers"
    ))).scalar_one()
    return None if age is None else max(0.0, float(age))
