"""Migration 0002 moves the organization-level settings onto the organization, and back.

Organizations that existed before keep the rules they ran under (the three hard-coded cities, the fee of the removed
setting CLINICOPS_REGISTRATION_FEE_PAISE); ones created afterwards start from the column defaults.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from tests.conftest import migrate


@pytest.fixture
def scratch_url(scratch_database):
    return scratch_database.render_as_string(hide_password=False)


def _run(url: str, sql: str, **params):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _columns(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {c["name"] for c in inspect(conn).get_columns("organizations")}
    finally:
        engine.dispose()


def test_existing_organizations_keep_their_rules_and_new_ones_get_the_defaults(scratch_url, monkeypatch):
    monkeypatch.delenv("CLINICOPS_REGISTRATION_FEE_PAISE", raising=False)
    migrate(scratch_url, "0001")
    _run(scratch_url, "INSERT INTO organizations (slug, name) VALUES ('main', 'Main'), ('other', 'Other')")
    migrate(scratch_url, "0002")
    rows = _run(scratch_url, "SELECT slug, cities, registration_fee_paise, free_cancellation_hours "
                             "FROM organizations ORDER BY slug")
    assert rows == [("main", ["bangalore", "kochi", "mumbai"], 100_00, 24),
                    ("other", ["bangalore", "kochi", "mumbai"], 100_00, 24)]
    _run(scratch_url, "INSERT INTO organizations (slug, name) VALUES ('fresh', 'Fresh')")
    assert _run(scratch_url, "SELECT cities, registration_fee_paise, free_cancellation_hours FROM organizations "
                             "WHERE slug = 'fresh'") == [([], 0, 24)]
    for bad in ("registration_fee_paise = -1", "free_cancellation_hours = -1", "cities = '{Pune}'"):
        with pytest.raises(IntegrityError):
            _run(scratch_url, f"UPDATE organizations SET {bad} WHERE slug = 'fresh'")

    migrate(scratch_url, "0001", down=True)
    assert not {"cities", "registration_fee_paise", "free_cancellation_hours"} & _columns(scratch_url)
    assert [r[0] for r in _run(scratch_url, "SELECT slug FROM organizations ORDER BY slug")] == [
        "fresh", "main", "other"]


def test_a_deployment_s_configured_fee_is_carried_over(scratch_url, monkeypatch):
    migrate(scratch_url, "0001")
    _run(scratch_url, "INSERT INTO organizations (slug, name) VALUES ('main', 'Main')")
    monkeypatch.setenv("CLINICOPS_REGISTRATION_FEE_PAISE", "25000")
    migrate(scratch_url, "0002")
    assert _run(scratch_url, "SELECT registration_fee_paise FROM organizations") == [(250_00,)]
