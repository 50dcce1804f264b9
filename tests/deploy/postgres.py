"""A PostgreSQL reachable over TCP on 127.0.0.1, from the binaries bundled in the ``pgserver`` package.

``pgserver.get_server`` only listens on a unix socket, but a deployed ClinicOps talks to its database over TCP with
a password, so this starts the same binaries with ``pg_ctl`` and a listen address. As root PostgreSQL refuses to
run, so (like pgserver itself) the server runs as the OS user ``pgserver``, created if missing; as a normal user
it runs as that user.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SYSTEM_USER = "pgserver"  # the OS user pgserver itself runs PostgreSQL as when started by root


def bin_dir() -> Path:
    """The ``bin`` directory bundled in the installed pgserver package (initdb, pg_ctl, postgres)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class AppDatabase:
    name: str
    user: str
    password: str
    port: int

    @property
    def url(self) -> str:
        """What an operator puts in ``CLINICOPS_DATABASE_URL``."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.name}"


class TcpPostgres:
    """One throw-away cluster: ``start()``, ``stop()``, ``start()`` again on the same data and port."""

    def __init__(self) -> None:
        self.as_root = os.geteuid() == 0
        self.bin = bin_dir()
        # Not under pytest's tmp_path: as root the server's OS user must be able to traverse every parent.
        self.base = Path(tempfile.mkdtemp(prefix="clinicops-deploy-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port = free_port()
        self._run_as: dict = {}
        if self.as_root:
            self._prepare_for_root()

    # --- the server's OS user (root only) -------------------------------------------------------------------

    def _prepare_for_root(self) -> None:
        from pgserver.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(SYSTEM_USER)
        # what pgserver does before running its binaries as that user
        ensure_prefix_permissions(self.bin)
        ensure_folder_permissions(self.bin, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(self.bin.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_prefix_permissions(self.base)  # the server's user must traverse the parents (as pgserver does)
        self.base.chmod(0o755)  # mkdtemp makes it 0700
        os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _pg(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_", "LANG"))}
        env.update(LC_ALL="C", LANG="C")
        result = subprocess.run([str(self.bin / program), *args], check=False, cwd=self.base, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, **self._run_as)
        if result.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                               f"--- server log ---\n{self.log_text()}")
        return result

    # --- lifecycle ------------------------------------------------------------------------------------------

    def init(self) -> None:
        # local (unix socket) connections are trusted for the harness; TCP needs a password, as in production
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--encoding=UTF8", "--no-locale",
                 "--auth-local=trust", "--auth-host=scram-sha-256")

    def start(self) -> None:
        # -k: the unix socket for the harness lives in the data directory; -h: TCP on loopback only
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c max_connections=100 -c fsync=off"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def is_running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        result = subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"], check=False,
                                cwd=self.base,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self._run_as)
        return result.returncode == 0

    def destroy(self) -> None:
        """Stop the server if it runs (immediately) and delete everything; never raises."""
        with contextlib.suppress(Exception):  # cleanup must go on
            if self.is_running():
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return "(no server log)"

    # --- administration through the unix socket ------------------------------------------------------------

    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host=str(self.data), port=self.port, user="postgres", dbname=dbname,
                               autocommit=True, connect_timeout=10)

    def create_app_database(self, name: str, user: str | None = None) -> AppDatabase:
        """A role with a password that owns a new database, as a managed PostgreSQL hands them out."""
        user = user or name
        password = secrets.token_urlsafe(18)
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user),
                                                                              sql.Literal(password)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(user)))
        return AppDatabase(name=name, user=user, password=password, port=self.port)

    def query(self, dbname: str, statement: str, params: tuple | dict = ()) -> list[tuple]:
        with self.admin(dbname) as conn:
            return conn.execute(statement, params).fetchall()

    def wait_accepting(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.admin():
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
