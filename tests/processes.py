"""Running the ``clinicops`` command as an operator would, in a subprocess, for process and fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``python -m clinicops.cli ARGS`` with its output (both streams) in ``log``."""
    env = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    out = log.open("w")
    return subprocess.Popen([sys.executable, "-m", "clinicops.cli", *args], env=env, stdout=out,
                            stderr=subprocess.STDOUT, cwd=ROOT)


def wait_ready(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60, path: str = "/api/health/ready"
               ) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited early:\n{log.read_text()}"
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server never became ready:\n{log.read_text()}")


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    """Poll ``condition()`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop(proc: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM, then SIGKILL if it has not exited in ``timeout`` seconds; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
