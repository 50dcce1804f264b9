"""Test harness: one embedded PostgreSQL per run, migrations applied once, one rolled-back transaction per test.

Fixtures:
- ``db``: an AsyncSession inside the test's transaction (builders use it).
- ``client``: an httpx client for the app; its requests share the test's transaction (each request's commit
  releases a savepoint), so a test sees what a request wrote and nothing survives the test. Every response it
  receives is held to the model its route declares (tests/contract.py): one that does not fit fails the test.
- ``committed``: for concurrency tests; requests use real, separate connections and commit for real;
  every table is truncated afterwards.
- ``run_jobs``: runs queued jobs to completion (job handlers use the same transaction as the test).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("CLINICOPS_ENV", "test")
os.environ.setdefault("CLINICOPS_DATA_DIR", str(Path(__file__).resolve().parent.parent / ".clinicops" / "test"))
# One database per test run, so parallel runs on one machine never interfere.
TEST_DBNAME = f"clinicops_test_{os.getpid()}"
os.environ["CLINICOPS_EMBEDDED_DBNAME"] = TEST_DBNAME
os.environ.setdefault("CLINICOPS_INLINE_WORKER", "false")
os.environ.setdefault("CLINICOPS_CORS_ORIGINS", "https://admin.example.com,http://localhost:3000")

import httpx  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from clinicops import db as dbmod  # noqa: E402
from clinicops import jobs, wiring  # noqa: E402
from clinicops.config import get_settings, reset_settings  # noqa: E402
from tests import contract  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
wiring.install()  # as every entry point does: every model, job and lifecycle effect


def _admin_url() -> str:
    """A psycopg URL to the server's maintenance database (to create the test database)."""
    os.environ["CLINICOPS_EMBEDDED_DBNAME"] = "postgres"
    try:
        return dbmod.database_url(get_settings(), driver="psycopg")
    finally:
        os.environ["CLINICOPS_EMBEDDED_DBNAME"] = TEST_DBNAME


def _create_test_database() -> None:
    if get_settings().database_url:
        return  # an external test database is used as given
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEST_DBNAME} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {TEST_DBNAME}"))
    engine.dispose()


def _drop_test_database() -> None:
    if get_settings().database_url:
        return
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEST_DBNAME} WITH (FORCE)"))
    engine.dispose()


def migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    from clinicops import schema_migrations

    (schema_migrations.downgrade if down else schema_migrations.upgrade)(url, revision)


@pytest.fixture(scope="session")
def database_url() -> str:
    reset_settings()
    _create_test_database()
    migrate(dbmod.database_url(get_settings(), driver="psycopg"))
    yield dbmod.database_url(get_settings())
    _drop_test_database()


@pytest.fixture(scope="session")
async def engine(database_url):
    from procrastinate.testing import InMemoryConnector

    jobs.use_connector(InMemoryConnector())
    engine = create_async_engine(database_url, pool_size=25, max_overflow=10,
                                 connect_args={"server_settings": {"timezone": "UTC"}})
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine):
    """The test's session; everything the test and its requests write is rolled back at the end."""
    async with engine.connect() as conn:
        outer = await conn.begin()

        def factory() -> AsyncSession:
            return AsyncSession(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False,
                                autoflush=False)

        dbmod.set_sessionmaker(factory)
        session = factory()
        try:
            yield session
        finally:
            await session.close()
            dbmod.set_sessionmaker(None)
            if outer.is_active:
                await outer.rollback()
    _clear_jobs()


def _clear_jobs() -> None:
    connector = jobs.get_app().connector
    if hasattr(connector, "reset"):
        connector.reset()


@pytest.fixture(scope="session")
def app(engine):
    from clinicops.main import create_app

    return create_app(get_settings(), run_worker=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    contract.reset_mismatches()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test whose requests got a response that breaks its route's declared model fails (tests/contract.py)."""
    result = yield
    contract.check_mismatches()
    return result


@pytest.fixture
async def client(app, db):
    transport = httpx.ASGITransport(app=contract.ContractChecked(app), client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def committed(engine, app):
    """Real commits on separate connections (for races); yields (session_factory, client). Truncates after."""
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    dbmod.set_sessionmaker(factory)
    transport = httpx.ASGITransport(app=contract.ContractChecked(app), client=("203.0.113.11", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield factory, http
    finally:
        dbmod.set_sessionmaker(None)
        async with engine.begin() as conn:
            tables = (await conn.execute(text(
                "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename <> 'alembic_version' "
                "AND tablename NOT LIKE 'procrastinate%'"))).scalar_one()
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _clear_jobs()


@pytest.fixture
def run_jobs(engine):
    """Run every queued job to completion, in this process, against the test's transaction."""

    async def run() -> int:
        app = jobs.get_app()
        connector = app.connector
        before = len(getattr(connector, "jobs", {}))
        started = time.monotonic()
        await app.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)
        assert time.monotonic() - started < 30
        return len(getattr(connector, "jobs", {})) - before

    return run


@pytest.fixture
def queued_jobs():
    """Names and arguments of jobs waiting in the queue (to assert what a request enqueued)."""

    def read() -> list[tuple[str, dict]]:
        connector = jobs.get_app().connector
        return [(j["task_name"], j["args"]) for j in connector.jobs.values() if j["status"] == "todo"]

    return read
