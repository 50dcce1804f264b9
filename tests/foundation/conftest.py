"""Fixtures shared by the foundation tests."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from clinicops import db as dbmod
from clinicops.config import get_settings


@pytest.fixture
def scratch_database(database_url):
    """An empty database on the test server (its sqlalchemy URL, psycopg driver), dropped afterwards."""
    test_url = make_url(dbmod.database_url(get_settings(), driver="psycopg"))
    name = f"clinicops_scratch_{os.getpid()}"
    admin = create_engine(test_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield test_url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
