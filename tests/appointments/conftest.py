"""Fixtures of the appointments tests: counting the SQL statements a request sends."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

# Transaction control the test harness adds around each request (a request's unit of work runs in a savepoint
# of the test's transaction); in production these are BEGIN/COMMIT, sent by the driver, not as statements.
_HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def queries(self) -> list[str]:
        return [s for s in self.statements if not s.lstrip().upper().startswith(_HARNESS)]


@pytest.fixture
def count_sql(engine):
    """``with count_sql() as log: ...`` records every statement sent to PostgreSQL inside the block."""

    @contextmanager
    def counting():
        log = StatementLog()

        def record(conn, cursor, statement, parameters, context, executemany):
            log.statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)

    return counting
