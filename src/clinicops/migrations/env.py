"""Alembic runs synchronously over psycopg (multi-statement SQL such as the job queue's schema needs it)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from clinicops.db import database_url
from clinicops.wiring import metadata

config = context.config
target_metadata = metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # The job queue's tables come from procrastinate's own schema, applied by the first migration.
    table = getattr(obj, "table", obj)
    return not str(getattr(table, "name", name) or "").startswith("procrastinate")


def _url() -> str:
    return config.attributes.get("url") or database_url(driver="psycopg")


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True,
                      include_object=_include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                          include_object=_include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, compare_type=True,
                          include_object=_include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
