"""The durable job queue (procrastinate, in PostgreSQL) and the enqueue-after-commit helper.

Tasks live on :data:`tasks` (a blueprint) in each domain's ``tasks.py``; :func:`get_app` binds them to a
connector for the configured database. A job takes ids, opens its own unit of work and is safe to run twice.
"""

from __future__ import annotations

import importlib
from typing import Any

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.db import after_commit, libpq_url
from clinicops.kit import all_models  # noqa: F401  (a worker alone must resolve every foreign key)
from clinicops.logging import get_logger

log = get_logger("clinicops.jobs")

tasks = procrastinate.Blueprint()

TASK_MODULES = (
    "clinicops.auth.tasks",
    "clinicops.messaging.tasks",
    "clinicops.appointments.tasks",
    "clinicops.payments.tasks",
    "clinicops.video.tasks",
)

_app: procrastinate.App | None = None
_connector: Any = None


def use_connector(connector: Any) -> None:
    """Bind the job app to a given connector (the tests use procrastinate's in-memory one by default).

    The app itself is kept: ``add_tasks_from`` renames the blueprint's tasks in place, so building a second
    app would register ``clinicops:clinicops:...`` names that no enqueue ever matches.
    """
    global _connector
    _connector = connector
    if _app is not None:
        _app.connector = connector or procrastinate.PsycopgConnector(conninfo=libpq_url())
        _app.job_manager.connector = _app.connector


def _load_task_modules() -> None:
    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def get_app() -> procrastinate.App:
    global _app
    if _app is None:
        _load_task_modules()
        connector = _connector or procrastinate.PsycopgConnector(conninfo=libpq_url())
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

    If enqueueing fails after the commit, the periodic sweeps in each domain pick the work up, because the
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
