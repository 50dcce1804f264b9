"""The Alembic migrations shipped inside the package, runnable without a checkout or an ``alembic.ini``.

``clinicops migrate`` (and ``dev``, and the tests) call :func:`upgrade`; an installed wheel carries the
scripts under ``clinicops/migrations``. The repository's ``alembic.ini`` points at the same folder, for
engineers who write a new revision with the ``alembic`` command.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SCRIPTS = Path(__file__).resolve().parent / "migrations"


def config(url: str) -> Config:
    """An Alembic configuration for the database at ``url`` (a psycopg SQLAlchemy URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(config(url), revision)
