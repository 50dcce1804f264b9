"""Fixtures for the deployment smoke tests: the wheel installed in a fresh venv, and a TCP PostgreSQL.

Both are built once per test session; everything else a test needs it creates itself, in empty directories.
"""

from __future__ import annotations

import time

import pytest

from tests.deploy.install import Installation, build_wheel, install
from tests.deploy.postgres import TcpPostgres


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installation:
    """``pip wheel`` of the repository, installed (with its dependencies from the index) in a new venv."""
    workdir = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    wheel = build_wheel(workdir)
    installation = install(wheel, workdir / "venv")
    print(f"\n[deploy] {wheel.name} built and installed in {time.monotonic() - started:.1f} s")
    return installation


@pytest.fixture(scope="session")
def postgres() -> TcpPostgres:
    """A PostgreSQL cluster listening on 127.0.0.1:<free port>; stopped and deleted at the end of the session."""
    server = TcpPostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def empty_dir(tmp_path):
    """The working directory of every installed command: no source tree, no .clinicops, nothing."""
    path = tmp_path / "cwd"
    path.mkdir()
    return path
