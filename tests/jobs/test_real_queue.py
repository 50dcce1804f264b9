"""The durable queue for real: procrastinate's PsycopgConnector on the test database.

A job enqueued inside a unit of work is deferred only once it commits, a worker runs it, and a unit of work
that rolls back enqueues nothing.
"""

from __future__ import annotations

import pytest
from procrastinate import PsycopgConnector
from sqlalchemy import select

from clinicops import db as dbmod
from clinicops import jobs
from clinicops.organizations.models import Organization

QUEUE = "foundation_test"
RAN: list[dict] = []


@jobs.tasks.task(name="tests.record_run", queue=QUEUE)
async def record_run(organization_id: int, marker: str) -> None:
    async with dbmod.unit_of_work() as session:
        org = await session.get(Organization, organization_id)
    RAN.append({"marker": marker, "org_slug": org.slug if org else None})


@pytest.fixture
async def real_queue(committed):
    """Binds the job app to PostgreSQL for this test, then back to the in-memory connector."""
    in_memory = jobs._connector
    jobs.use_connector(PsycopgConnector(conninfo=dbmod.libpq_url()))
    app = jobs.get_app()
    RAN.clear()
    try:
        async with app.open_async():
            yield app
            await app.connector.execute_query_async("DELETE FROM procrastinate_jobs")
    finally:
        jobs.use_connector(in_memory)


async def _queued(app, marker: str) -> list[dict]:
    rows = await app.connector.execute_query_all_async(
        "SELECT status, args FROM procrastinate_jobs WHERE task_name = %(name)s AND args->>'marker' = %(marker)s",
        name="clinicops:tests.record_run", marker=marker)
    return list(rows)


async def test_a_committed_unit_of_work_defers_the_job_and_a_worker_runs_it(real_queue, committed):
    async with dbmod.unit_of_work() as session:
        org = Organization(slug="queue-test", name="Queue Test", kind="CHAIN")
        session.add(org)
        await session.flush()
        jobs.enqueue(session, "tests.record_run", organization_id=org.id, marker="committed")
        assert await _queued(real_queue, "committed") == []  # nothing before the commit
    queued = await _queued(real_queue, "committed")
    assert [row["status"] for row in queued] == ["todo"]

    await jobs.run_worker(queues=[QUEUE], wait=False, install_signal_handlers=False, listen_notify=False)
    assert RAN == [{"marker": "committed", "org_slug": "queue-test"}]
    # the worker deletes succeeded jobs, so periodic sweeps do not grow the table forever
    assert await _queued(real_queue, "committed") == []


async def test_a_rolled_back_unit_of_work_enqueues_nothing(real_queue, committed):
    factory, _client = committed
    with pytest.raises(RuntimeError):
        async with dbmod.unit_of_work() as session:
            org = Organization(slug="queue-rollback", name="Rolled Back", kind="CHAIN")
            session.add(org)
            await session.flush()
            jobs.enqueue(session, "tests.record_run", organization_id=org.id, marker="rolled-back")
            raise RuntimeError("the use case failed")
    assert await _queued(real_queue, "rolled-back") == []
    async with factory() as check:
        assert (await check.execute(select(Organization).where(Organization.slug == "queue-rollback"))).first() is None
    await real_queue.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False,
                                      listen_notify=False)
    assert RAN == []
