"""Migrations: reversible, one head, and the models match the migrated schema (an `alembic check`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from clinicops import db as dbmod
from clinicops import schema_migrations
from clinicops.config import get_settings
from clinicops.wiring import metadata
from tests.conftest import ROOT, migrate


def _not_job_queue(obj, name, type_, reflected, compare_to) -> bool:
    table = getattr(obj, "table", obj)
    return not str(getattr(table, "name", name) or "").startswith("procrastinate")


@pytest.fixture
def scratch_url(scratch_database):
    return scratch_database.render_as_string(hide_password=False)


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_single_head():
    assert len(ScriptDirectory.from_config(schema_migrations.config("postgresql://unused")).get_heads()) == 1


def test_the_repository_alembic_ini_points_at_the_packaged_scripts():
    """Engineers writing a revision with the ``alembic`` command must write it where the wheel ships from."""
    cfg = Config(str(ROOT / "alembic.ini"))
    assert Path(cfg.get_main_option("script_location")).resolve() == schema_migrations.SCRIPTS


def test_upgrade_downgrade_upgrade(scratch_url):
    migrate(scratch_url)
    tables = _tables(scratch_url)
    assert set(metadata.tables) <= tables
    assert any(t.startswith("procrastinate") for t in tables)
    migrate(scratch_url, "base", down=True)
    assert _tables(scratch_url) <= {"alembic_version"}
    migrate(scratch_url)
    assert _tables(scratch_url) == tables


def test_models_match_the_migrated_schema(database_url):
    engine = create_engine(dbmod.database_url(get_settings(), driver="psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": False, "include_object": _not_job_queue})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_no_overlap_exclusion_constraint_exists(database_url):
    engine = create_engine(dbmod.database_url(get_settings(), driver="psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            definition = conn.execute(text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ex_appointments_no_overlap'"
            )).scalar_one()
    finally:
        engine.dispose()
    assert definition.startswith("EXCLUDE USING gist")
