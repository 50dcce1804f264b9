"""A served app or a lone worker knows every table, every job and every lifecycle effect: a foreign key to a model
nobody imported fails at the first flush (``NoReferencedTableError``), a task nobody imported is never run, and a
status change without its effects would skip messages; a test process that imports everything can never see
these, so each entry point is started in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
{setup}
from clinicops.kit.models import Base
missing = []
for table in Base.metadata.tables.values():
    for fk in table.foreign_keys:
        try:
            fk.column
        except Exception as exc:
            missing.append(f"{{table.name}}: {{exc}}")
print("\\n".join(missing))
sys.exit(1 if missing else 0)
"""


SERVED_APP = "from clinicops.main import create_app; create_app()"
# What `clinicops worker` does: the command installs the wiring (cli.main), then builds the job app.
WORKER = "from clinicops import jobs, wiring; wiring.install(); jobs.get_app()"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"CLINICOPS_ENV": "test", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("setup", [SERVED_APP, WORKER], ids=["served-app", "worker"])
def test_every_foreign_key_resolves_in_a_fresh_interpreter(setup):
    result = _run(CHECK.format(setup=setup))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("setup", [SERVED_APP, WORKER], ids=["served-app", "worker"])
def test_every_job_and_lifecycle_effect_is_there_in_a_fresh_interpreter(setup):
    code = f"""
{setup}
from clinicops import jobs
from clinicops.lifecycle import effects
print("installed:", effects.installed())
print("tasks:", " ".join(sorted(jobs.get_app().tasks)))
"""
    result = _run(code)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if line.startswith(("installed", "tasks")))
    installed, names = lines["installed"], lines["tasks"]
    assert installed == "True"
    for task in ("auth.", "messaging.deliver_outbox", "appointments.release_expired_holds", "payments.reconcile",
                 "video.create_meet_link"):
        assert any(name.startswith(f"clinicops:{task}") for name in names.split()), (task, names)


def test_a_process_that_forgot_the_wiring_fails_loudly():
    """No job app without tasks, and no status change without its effects: never a silent skip."""
    code = """
import asyncio
from clinicops import jobs
try:
    jobs.get_app()
except RuntimeError as exc:
    print("jobs:", exc)
from clinicops.lifecycle import effects
from clinicops.lifecycle.effects import Moved
try:
    asyncio.run(effects.moved(None, Moved(None, None, None)))
except effects.EffectsNotInstalled as exc:
    print("effects:", exc)
"""
    result = _run(code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "jobs: no job task is registered" in result.stdout
    assert "effects:" in result.stdout and "wiring.install()" in result.stdout
