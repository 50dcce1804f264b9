"""Running the installed ``clinicops`` executable the way a supervisor (systemd, a container runtime) does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.deploy.install import Installation


def clean_environment(installed: Installation, settings: dict[str, str]) -> dict[str, str]:
    """A process environment with nothing from the repository or the test run: no PYTHONPATH, no virtual
    environment but the installed one, no CLINICOPS_* from the test harness; only ``settings`` added."""
    keep = ("HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = os.pathsep.join([str(installed.bin), "/usr/local/bin", "/usr/bin", "/bin"])
    env["VIRTUAL_ENV"] = str(installed.venv)
    env.update(settings)
    return env


def run_command(installed: Installation, args: list[str], *, env: dict[str, str], cwd: Path,
                timeout: float = 120) -> subprocess.CompletedProcess:
    """``clinicops ARGS`` to completion; stdout and stderr together in ``.stdout``."""
    return subprocess.run([str(installed.clinicops), *args], check=False, env=env, cwd=cwd, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)


class Service:
    """A long-running ``clinicops`` process (serve, worker) with its output in a log file."""

    def __init__(self, name: str, installed: Installation, args: list[str], *, env: dict[str, str], cwd: Path,
                 log_dir: Path):
        self.name = name
        self.args = args
        self.log = log_dir / f"{name}.log"
        self._out = self.log.open("wb")
        # Its own session, so a leftover child (uvicorn's worker processes) can be reaped by process group.
        self.proc = subprocess.Popen([str(installed.clinicops), *args], env=env, cwd=cwd, stdout=self._out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 80) -> str:
        text = self.output().splitlines()
        return "\n".join(text[-lines:])

    def terminate(self, timeout: float = 45) -> int | None:
        """SIGTERM, as systemd and container runtimes stop a service; the exit status, or None after a kill."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """Last resort in cleanup: SIGKILL this process's own group (it and the children it started)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.terminate(timeout=15)
        # children (uvicorn workers) must not outlive the test even if the parent died first
        try:
            os.killpg(self.proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            pass
        else:
            self.kill()
        self._out.close()


def wait_until(condition, *, timeout: float, interval: float = 0.2, what: str, details=lambda: ""):
    """Poll ``condition()`` until it returns something truthy; fail with ``what`` and ``details()`` after
    ``timeout`` seconds. Returns the truthy value."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - remembered for the failure message
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                                 + (f" (last error: {last_error!r})" if last_error else "") + f"\n{details()}")
        time.sleep(interval)
