"""Engine, sessions and the embedded PostgreSQL.

One request or one job is one unit of work: :func:`unit_of_work` commits at the boundary, then runs the
after-commit hooks (job enqueues) so nothing is enqueued for a change that rolled back.

A unit of work for a read (``lazy_begin=True``: GET and HEAD requests) opens no transaction until it needs one.
Its plain ``SELECT`` statements run outside a transaction, which saves the BEGIN and COMMIT round trips of a pure
read; the first statement that writes, locks or sets anything (an audit row on a clinical read, ``FOR UPDATE``,
an advisory lock, a savepoint) begins the transaction, and from there on it is an ordinary unit of work: committed
at the boundary, rolled back if the request fails. Under READ COMMITTED every statement takes its own snapshot
anyway, so a read made before the BEGIN sees what it would have seen inside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from clinicops.config import Settings, get_settings

AfterCommit = Callable[[], Awaitable[Any]]

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_embedded: Any = None


def embedded_server(data_dir: Path) -> Any:
    """Start (or attach to) the embedded PostgreSQL under ``data_dir/pg``."""
    global _embedded
    if _embedded is None:
        import pgserver

        pg_dir = (data_dir / "pg").resolve()
        pg_dir.mkdir(parents=True, exist_ok=True)
        _embedded = pgserver.get_server(pg_dir, cleanup_mode=None)
    return _embedded


def _embedded_host(data_dir: Path) -> str:
    server = embedded_server(data_dir)
    return str(server.pgdata)


def database_url(settings: Settings | None = None, *, driver: str = "asyncpg") -> str:
    """The SQLAlchemy URL of the configured database (embedded when none is configured)."""
    settings = settings or get_settings()
    if settings.database_url:
        url = settings.database_url
        for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgres://", "postgresql://"):
            if url.startswith(prefix):
                return f"postgresql+{driver}://" + url[len(prefix):]
        return url
    host = _embedded_host(settings.data_dir)
    dbname = os.environ.get("CLINICOPS_EMBEDDED_DBNAME", "postgres")
    return f"postgresql+{driver}://postgres:@/{dbname}?host={host}"


def libpq_url(settings: Settings | None = None) -> str:
    """A plain ``postgresql://`` URL (psycopg / procrastinate)."""
    return database_url(settings, driver="psycopg").replace("postgresql+psycopg://", "postgresql://", 1)


def get_engine() -> AsyncEngine:
    global _engine, _sessionmaker
    if _engine is None:
        settings = get_settings()
        _engine = create_async_engine(
            database_url(settings),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_overflow,
            pool_timeout=settings.db_pool_timeout_s,
            pool_pre_ping=settings.db_pool_pre_ping,
            pool_recycle=1800,
            connect_args={"server_settings": {"application_name": "clinicops", "timezone": "UTC"},
                          "command_timeout": 30, "timeout": 5},  # connecting: fail fast (a 503), never hang
        )
        _sessionmaker = async_sessionmaker(_engine, expire_on_commit=False, autoflush=False)
    return _engine


def set_sessionmaker(factory: async_sessionmaker[AsyncSession] | Callable[[], AsyncSession] | None) -> None:
    """Tests bind sessions to their own rolled-back connection."""
    global _sessionmaker
    _sessionmaker = factory  # type: ignore[assignment]


def new_session(*, lazy_begin: bool = False) -> AsyncSession:
    """A session; with ``lazy_begin`` its transaction begins at its first write (see the module docstring).

    Sessions a test binds to its own connection are unchanged: they already run inside the test's transaction.
    """
    global _sessionmaker
    if _sessionmaker is None:  # first use, or a test has handed back its own factory (set_sessionmaker(None))
        _sessionmaker = async_sessionmaker(get_engine(), expire_on_commit=False, autoflush=False)
    if lazy_begin and isinstance(_sessionmaker, async_sessionmaker):
        bind = _sessionmaker.kw.get("bind")
        if isinstance(bind, AsyncEngine):
            return _sessionmaker(bind=_lazy_engine(bind))
    return _sessionmaker()


_LAZY_BEGIN = "clinicops_lazy_begin"
_PLAIN_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
# Anything in a SELECT that must run inside the transaction: a data-modifying WITH, row locks (FOR UPDATE/SHARE),
# advisory transaction locks, settings and sequences, notifications. A false match only costs a BEGIN.
_NEEDS_TRANSACTION = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|SHARE|LOCK|pg_advisory\w*|set_config|nextval|setval|pg_notify)\b",
    re.IGNORECASE)
_reads: dict[str, bool] = {}


def _is_plain_read(statement: str) -> bool:
    known = _reads.get(statement)
    if known is None:
        known = bool(_PLAIN_READ.match(statement)) and not _NEEDS_TRANSACTION.search(statement)
        if len(_reads) < 4096:  # statements are compiled once and cached, so the set of texts is small
            _reads[statement] = known
    return known


def _begin_before_write(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    if not conn._execution_options.get(_LAZY_BEGIN):
        return
    driver = conn.connection.dbapi_connection
    if driver is not None and driver.autocommit and not _is_plain_read(statement):
        # From here on the asyncpg adapter runs a transaction: it sends BEGIN before this very statement, and
        # the boundary's commit (or rollback) ends it. The pool restores the connection's isolation on return.
        driver.isolation_level = "read_committed"


def _lazy_engine(engine: AsyncEngine) -> AsyncEngine:
    sync = engine.sync_engine
    lazy = sync.__dict__.get("_clinicops_lazy")
    if lazy is None:
        event.listen(sync, "before_cursor_execute", _begin_before_write)
        lazy = engine.execution_options(isolation_level="AUTOCOMMIT", **{_LAZY_BEGIN: True})
        sync.__dict__["_clinicops_lazy"] = lazy
    return lazy


async def ping(session: AsyncSession) -> None:
    """One round trip that shows the database answers (raises if it does not)."""
    await session.execute(text("SELECT 1"))


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` once the unit of work that owns ``session`` has committed."""
    session.info.setdefault("after_commit", []).append(hook)


def after_end(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` once the unit of work that owns ``session`` has ended, committed or rolled back.

    For records that must outlive a failed request (an audit of a refused access); the hook opens its own
    unit of work and must not raise.
    """
    session.info.setdefault("after_end", []).append(hook)


def keep_changes_on_error(session: AsyncSession) -> None:
    """Commit this unit of work even when it ends in an application error (a 4xx).

    For writes that must survive the refusal they cause: a wrong OTP's attempt count, a failed login counted
    toward its limit, a refresh-token family revoked on reuse.
    """
    session.info["commit_on_error"] = True


@asynccontextmanager
async def unit_of_work(*, lazy_begin: bool = False) -> AsyncIterator[AsyncSession]:
    """One transaction, committed when the block ends without error; ``lazy_begin``: begun at the first write."""
    from clinicops.errors import AppError

    session = new_session(lazy_begin=lazy_begin)
    try:
        yield session
        await session.commit()
    except BaseException as exc:
        if isinstance(exc, AppError) and session.info.get("commit_on_error"):
            await session.commit()
        else:
            await session.rollback()
        raise
    finally:
        hooks: list[AfterCommit] = session.info.pop("after_commit", []) if session.info else []
        ending: list[AfterCommit] = session.info.pop("after_end", []) if session.info else []
        committed = not session.in_transaction()
        await session.close()
        for hook in ending:
            await hook()
    if committed:
        for hook in hooks:
            await hook()


async def dispose() -> None:
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None
