"""enqueue(): deferred after commit; a job already waiting under the same queueing lock is not an error."""

from __future__ import annotations

import io
import logging

import structlog

from clinicops import db as dbmod
from clinicops import jobs
from clinicops.logging import configure_logging


async def test_enqueue_waits_for_the_commit(db, queued_jobs):
    async with dbmod.unit_of_work() as session:
        jobs.enqueue(session, "messaging.deliver_outbox")
        assert queued_jobs() == []
    assert [name for name, _ in queued_jobs()] == ["clinicops:messaging.deliver_outbox"]


async def test_a_second_enqueue_under_the_same_queueing_lock_is_quietly_merged(db, queued_jobs):
    saved, root = structlog.get_config(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(stream=stream)
    try:
        for _ in range(2):
            async with dbmod.unit_of_work() as session:
                jobs.enqueue(session, "messaging.deliver_outbox")
    finally:
        structlog.configure(**saved)
        root.handlers, root.level = handlers, level
    assert [name for name, _ in queued_jobs()] == ["clinicops:messaging.deliver_outbox"]
    assert "enqueue_failed" not in stream.getvalue()


def test_rebinding_the_connector_keeps_the_task_names():
    from procrastinate.testing import InMemoryConnector

    previous = jobs._connector
    try:
        jobs.get_app()
        jobs.use_connector(InMemoryConnector())
        names = set(jobs.get_app().tasks)
    finally:
        jobs.use_connector(previous)
    assert "clinicops:messaging.deliver_outbox" in names
    assert not any(name.startswith("clinicops:clinicops:") for name in names)
