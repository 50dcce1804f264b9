"""A served app or a lone worker knows every table: a foreign key to a model nobody imported fails at the first
flush (``NoReferencedTableError``), which a test process that imports everything can never see."""

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


@pytest.mark.parametrize("setup", [
    "from clinicops.main import create_app; create_app()",
    "from clinicops import jobs; jobs.get_app()",
], ids=["served-app", "worker"])
def test_every_foreign_key_resolves_in_a_fresh_interpreter(setup):
    result = subprocess.run([sys.executable, "-c", CHECK.format(setup=setup)], capture_output=True, text=True,
                            timeout=120, env={"CLINICOPS_ENV": "test", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
