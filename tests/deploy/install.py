"""Build the wheel and install it into a fresh virtual environment, as an operator (or the Dockerfile) does.

The wheel is built from a copy of exactly what the Dockerfile's builder stage copies (``pyproject.toml``,
``README.md``, ``src/``), never in the working tree: setuptools reuses an in-tree ``build/lib``, so a module
deleted from ``src/`` would silently ship again, and the build would write into a tree others are editing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the Dockerfile's builder stage copies; keep the two lists identical.
BUILD_INPUTS = ("pyproject.toml", "README.md", "src")
BUILD_TIMEOUT_S = 180
INSTALL_TIMEOUT_S = 300


@dataclass(frozen=True)
class Installation:
    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def clinicops(self) -> Path:
        return self.bin / "clinicops"

    @property
    def python(self) -> Path:
        return self.bin / "python"


def pip_env() -> dict[str, str]:
    """The caller's environment (pip's cache, index and proxy settings) without anything that points into the
    repository or another virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV")
           and not k.startswith("CLINICOPS_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _run(args: list[str], *, cwd: Path, timeout: float, what: str) -> None:
    try:
        result = subprocess.run(args, check=False, cwd=cwd, env=pip_env(), text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{what} took more than {timeout:.0f} s:\n{exc.output or ''}") from None
    if result.returncode != 0:
        raise AssertionError(f"{what} failed (exit {result.returncode}): {' '.join(args)}\n{result.stdout}")


def build_wheel(workdir: Path) -> Path:
    source = workdir / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(origin, source / name)
    dist = workdir / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(source)],
         cwd=workdir, timeout=BUILD_TIMEOUT_S, what="building the wheel")
    wheels = sorted(dist.glob("clinicops-*.whl"))
    assert len(wheels) == 1, f"expected one clinicops wheel in {dist}, found {wheels}"
    return wheels[0]


def install(wheel: Path, venv: Path) -> Installation:
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent, timeout=120, what="creating the venv")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input", str(wheel)],
         cwd=venv.parent, timeout=INSTALL_TIMEOUT_S, what="installing the wheel (dependencies from the index)")
    installed = Installation(wheel=wheel, venv=venv)
    assert installed.clinicops.exists(), "the wheel installed no clinicops executable"
    return installed
