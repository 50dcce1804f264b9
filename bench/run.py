"""Load benchmark of the hot reads: health, the public clinician list, an admin's centre list and the slot reads.

    .venv/bin/python bench/run.py [--scale 3] [--seconds 10] [--connections 32] [--workers 2]
                                  [--server uvicorn|gunicorn] [--generator auto|wrk|python] [--data-dir DIR]

It creates its own embedded PostgreSQL under a fresh data directory (or uses CLINICOPS_DATABASE_URL, which must
point at an empty database), migrates, seeds (bench/seed.py), counts the SQL statements each request sends
(in-process, the same event hook as the tests), starts the API as a subprocess on a free port and drives load
with ``wrk`` (or a Python keep-alive client when wrk is missing). Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# req/s targets of issue 3 (0: no target of its own; issue 10 compares these against the peer backend instead)
TARGETS = {"health": 0, "clinician-list": 1000, "centre-list-admin": 0, "available-slots": 800,
           "dates-with-slots-7d": 0, "dates-with-slots-30d": 200}
BENCH_ADMIN = ("benchadmin", "Bench-admin-pass-2026", "9000000001")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=3, help="10 x scale clinicians, 50 x scale patients")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", choices=("uvicorn", "gunicorn"), default="uvicorn")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--data-dir", help="embedded PostgreSQL location (default: a fresh temporary directory)")
    parser.add_argument("--only", action="append", choices=sorted(TARGETS), help="run only these scenarios")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--pre-ping", action="store_true",
                        help="serve with CLINICOPS_DB_POOL_PRE_PING=true (3 more round trips per request; off by default)")
    return parser.parse_args()


def _environment(args: argparse.Namespace) -> Path | None:
    os.environ.setdefault("CLINICOPS_ENV", "staging")
    os.environ["CLINICOPS_INLINE_WORKER"] = "false"
    os.environ.setdefault("CLINICOPS_DEFAULT_ORGANIZATION", "main")
    if args.pre_ping:
        os.environ["CLINICOPS_DB_POOL_PRE_PING"] = "true"
    if os.environ.get("CLINICOPS_DATABASE_URL"):
        return None
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="clinicops-bench-"))
    os.environ["CLINICOPS_DATA_DIR"] = str(data_dir)
    return data_dir


def _prepare(scale: int):
    from bench.seed import seed
    from clinicops import db
    from clinicops.config import get_settings
    from clinicops.cli import migrate_database

    settings = get_settings()
    migrate_database(settings)

    async def load():
        async with db.unit_of_work() as session:
            seeded = await seed(session, slug=settings.default_organization, scale=scale)
        await _ensure_admin(settings.default_organization)
        # Planner statistics, as autovacuum would have them on a live database (fresh bulk loads have none).
        async with db.get_engine().begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        await db.dispose()
        return seeded

    return asyncio.run(load())


async def _ensure_admin(slug: str) -> None:
    """The admin whose token drives the authenticated scenario (created once per database)."""
    from clinicops.seed import admin

    username, password, phone = BENCH_ADMIN
    try:
        await admin.create_admin(username=username, password=password, phone=phone, organization_slug=slug)
    except admin.AdminRefused:  # a kept --data-dir already has it
        pass


def admin_token() -> str:
    """Signs the bench admin in, in-process (an access token lives 15 minutes: enough for one run)."""
    import httpx

    from clinicops import db
    from clinicops.config import get_settings
    from clinicops.main import create_app

    app = create_app(get_settings(), run_worker=False)

    async def sign_in() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            response = await client.post("/api/auth/login/username-password",
                                         json={"username": BENCH_ADMIN[0], "password": BENCH_ADMIN[1]})
            response.raise_for_status()
        await db.dispose()
        return response.json()["data"]["accessToken"]

    return asyncio.run(sign_in())


@dataclass
class Scenario:
    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)


def _scenarios(seeded, token: str) -> dict[str, Scenario]:
    today = date.today()
    working = [today + timedelta(days=d) for d in range(1, 15) if (today + timedelta(days=d)).weekday() != 6]
    slots = [f"/api/booking/available-slots?clinicianId={c}&centreId={ce}&date={d}"
             for c, ce in seeded.clinicians for d in working]

    def dates(days: int) -> list[str]:
        return [f"/api/booking/dates-with-slots?clinicianId={c}&centreId={ce}&startDate={today}"
                f"&endDate={today + timedelta(days=days - 1)}" for c, ce in seeded.clinicians]

    return {"health": Scenario(["/api/health"]), "clinician-list": Scenario(["/api/users/clinicians"]),
            "centre-list-admin": Scenario(["/api/centres"], {"Authorization": f"Bearer {token}"}),
            "available-slots": Scenario(slots), "dates-with-slots-7d": Scenario(dates(7)),
            "dates-with-slots-30d": Scenario(dates(30))}


def _round_trips(scenarios: dict[str, Scenario]) -> dict[str, tuple[float, float, int]]:
    """Mean SQL statements per request, on the first pass over a sample of the scenario's paths (cold: the
    process's caches do not hold them yet) and on a second pass (warm, as under load), and the size of the first
    answer; counted in-process with the change feed listening, as in a serving process."""
    import httpx
    from sqlalchemy import event

    from clinicops import changes, db
    from clinicops.config import get_settings
    from clinicops.main import create_app

    app = create_app(get_settings(), run_worker=False)
    counted: list[str] = []

    async def measure():
        changes.FEED.start(changes.listener_dsn(db.database_url(get_settings())))
        await changes.FEED.wait_listening()
        event.listen(db.get_engine().sync_engine, "before_cursor_execute",
                     lambda *a: counted.append(a[2]))
        found = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, scenario in scenarios.items():
                sample = scenario.paths[: min(len(scenario.paths), 20)]
                # connection warm-up (the pool's first connect runs setup queries)
                await client.get(sample[0], headers=scenario.headers)
                first, passes = None, []
                rest = sample[1:] or sample  # one path only: it was filled by the warm-up, both passes are warm
                for _pass in ("cold", "warm"):
                    counted.clear()
                    for path in rest:
                        response = await client.get(path, headers=scenario.headers)
                        if name != "health":  # 503 without a job worker's heartbeat; its cost is the same
                            response.raise_for_status()
                        first = first if first is not None else response.json()["data"]
                    passes.append(len(counted) / len(rest))
                found[name] = (passes[0], passes[1], _size(first))
        await changes.FEED.stop()
        await db.dispose()
        return found

    return asyncio.run(measure())


def _size(data) -> int:
    if isinstance(data, dict) and "slots" in data:
        return len(data["slots"])
    return len(data) if isinstance(data, list) else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    python = sys.executable
    if args.server == "gunicorn":
        cmd = [python, "-m", "gunicorn", "-k", "uvicorn_worker.UvicornWorker", "--no-control-socket",
               "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "clinicops.main:create_app()"]
    else:
        cmd = [python, "-m", "uvicorn", "clinicops.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"]
    log = log_path.open("w")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)


def _wait_healthy(port: int, server: subprocess.Popen, timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the API server exited during start-up (see its log)")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the API server did not become healthy")


class CpuMeter:
    """CPU seconds used by the API processes and the PostgreSQL backends during a run (psutil, if installed).

    Unlike requests/s, CPU per request hardly depends on what else runs on the machine, so it shows what a
    change costs even on a busy box; cores / (CPU per request) is the capacity the machine would have.
    """

    def __init__(self, server_pid: int, data_dir: Path | None):
        try:
            import psutil
        except ImportError:  # pragma: no cover - optional
            self.psutil = None
            return
        self.psutil = psutil
        self.server = psutil.Process(server_pid)
        self.postmaster = None
        pid_file = data_dir / "pg" / "postmaster.pid" if data_dir else None
        if pid_file and pid_file.exists():
            self.postmaster = psutil.Process(int(pid_file.read_text().split()[0]))

    def _cpu(self, root) -> dict[int, float]:
        found = {}
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                found[proc.pid] = times.user + times.system
            except self.psutil.Error:
                continue
        return found

    def snapshot(self):
        if self.psutil is None:
            return None
        return (self._cpu(self.server), self._cpu(self.postmaster) if self.postmaster else {})

    @staticmethod
    def delta(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def main() -> int:
    args = _args()
    data_dir = _environment(args)
    from bench import loadgen

    print(f"preparing database (scale {args.scale}) in {data_dir or 'CLINICOPS_DATABASE_URL'} ...", flush=True)
    seeded = _prepare(args.scale)
    print(f"seeded {len(seeded.clinicians)} clinicians, {seeded.appointments} appointments", flush=True)
    scenarios = {k: v for k, v in _scenarios(seeded, admin_token()).items() if not args.only or k in args.only}
    trips = _round_trips(scenarios)
    port = _free_port()
    args.load_before = _load()
    log_path = (data_dir or Path(tempfile.gettempdir())) / "bench-server.log"
    server = _start_server(args, port, log_path)
    results = {}
    try:
        _wait_healthy(port, server)
        base = f"http://127.0.0.1:{port}"
        meter = CpuMeter(server.pid, data_dir)
        for name, scenario in scenarios.items():
            loadgen.run(base, scenario.paths, seconds=args.warmup, connections=args.connections,
                        generator=args.generator, headers=scenario.headers)
            before, gen_before, sessions_before = meter.snapshot(), _children_cpu(), _sessions()
            result = loadgen.run(base, scenario.paths, seconds=args.seconds, connections=args.connections,
                                 generator=args.generator, headers=scenario.headers)
            after, gen_cpu = meter.snapshot(), _children_cpu() - gen_before
            result.connections_opened = _sessions() - sessions_before - 1  # minus the counting one
            if before and result.requests:
                result.cpu_ms = (CpuMeter.delta(before[0], after[0]) * 1000 / result.requests,
                                 CpuMeter.delta(before[1], after[1]) * 1000 / result.requests,
                                 gen_cpu * 1000 / result.requests)
            results[name] = result
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    _report(args, results, trips)
    if data_dir:
        _stop_embedded(data_dir)
        if not args.data_dir and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def _stop_embedded(data_dir: Path) -> None:
    """The embedded PostgreSQL outlives its users (cleanup_mode None in clinicops.db): stop the bench's own."""
    from clinicops import db

    server = db._embedded
    if server is None:
        return
    from pgserver._commands import pg_ctl

    try:
        pg_ctl(["-w", "stop"], pgdata=server.pgdata, user=server.system_user)
    except Exception as exc:  # noqa: BLE001 - best effort at exit
        print(f"could not stop the embedded PostgreSQL under {data_dir}: {exc}")


def _sessions() -> int:
    """Connections PostgreSQL has accepted so far (pg_stat_database.sessions): the pool's churn under load."""
    import psycopg

    from clinicops import db

    with psycopg.connect(db.libpq_url()) as conn:
        return conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _children_cpu() -> float:
    """CPU of this process (the Python generator runs here) and its finished children (the wrk runs)."""
    import resource

    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_CHILDREN),
                                                 resource.getrusage(resource.RUSAGE_SELF)))


def _report(args: argparse.Namespace, results: dict, trips: dict) -> None:
    gen = next(iter(results.values())).generator if results else "-"
    from clinicops.config import Settings

    ping = "on" if Settings().db_pool_pre_ping else "off"
    print(f"\n{args.server} x{args.workers} workers, {args.connections} connections, {args.seconds}s per scenario, "
          f"generator {gen}, {os.cpu_count()} CPUs, pool pre-ping {ping}, load average before: {args.load_before}, after: {_load()}\n")
    print("| scenario | req/s | target | p50 ms | p90 ms | p99 ms | non-2xx | SQL statements/request cold / warm "
          "| items |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        cold, warm, items = trips[name]
        verdict = "-" if not TARGETS[name] else f"{TARGETS[name]} ok" if r.rps >= TARGETS[name] else "MISSED"
        print(f"| {name} | {r.rps:,.0f} | {verdict} | {r.p50_ms:.2f} | {r.p90_ms:.2f} | "
              f"{r.p99_ms:.2f} | {r.non_2xx} | {cold:.1f} / {warm:.1f} | {items} |")
    print("\nCPU per request (ms): API processes / PostgreSQL / load generator -> capacity of this machine's "
          "cores if nothing else ran")
    for name, r in results.items():
        if r.cpu_ms:
            api, pg, gen = r.cpu_ms
            capacity = (os.cpu_count() or 1) * 1000 / max(api + pg + gen, 1e-9)
            print(f"  {name}: {api:.2f} / {pg:.2f} / {gen:.2f} -> {capacity:,.0f} req/s; "
                  f"database connections opened during the run: {r.connections_opened}")


if __name__ == "__main__":
    raise SystemExit(main())
