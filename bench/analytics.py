"""Latency of the dashboard endpoints (/api/analytics/*) as an ADMIN, on the demo data.

    .venv/bin/python bench/analytics.py [--scale 50] [--requests 200] [--concurrency 1] [--workers 1]
                                        [--data-dir DIR] [--keep] [--explain] [--sql "CREATE INDEX ..."]

It creates its own embedded PostgreSQL under a fresh data directory (or reuses ``--data-dir``, or uses
CLINICOPS_DATABASE_URL), migrates, loads the demo data (``clinicops seed --demo --scale N``: 90 days of history
and 14 ahead), runs ``ANALYZE``, counts the SQL statements each request sends (in-process, the same
``before_cursor_execute`` hook as the tests), then starts the API (uvicorn) on a free port and times
``--requests`` requests per scenario after a warm-up, ``--concurrency`` at a time, each scenario with and
without ``centreId``. Target: p95 ≤ 150 ms per endpoint. ``--sql`` runs statements (e.g. a candidate index)
before measuring; ``--explain`` prints the plan of each endpoint's figure statement. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import time_gets

TARGET_P95_MS = 150.0
ENDPOINTS = (("dashboard", "/api/analytics/dashboard"), ("top-doctors", "/api/analytics/top-doctors"),
             ("revenue (month)", "/api/analytics/revenue?period=month"),
             ("revenue (year)", "/api/analytics/revenue?period=year"),
             ("leads-by-source", "/api/analytics/leads-by-source"))


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=50, help="demo data scale (clinicops seed --demo --scale)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per scenario first")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--data-dir", help="embedded PostgreSQL location (default: a fresh temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each figure statement")
    parser.add_argument("--sql", action="append", default=[], help="SQL to run before measuring (repeatable)")
    args = parser.parse_args()
    args.server, args.pre_ping = "uvicorn", False
    return args


def _prepare(scale: int, extra_sql: list[str]) -> dict:
    """Migrate, load the demo data unless present, ANALYZE; returns the facts the scenarios need."""
    from sqlalchemy import func, select

    from clinicops import db, wiring
    from clinicops.appointments.models import Appointment
    from clinicops.auth.models import User, UserRole
    from clinicops.cli import migrate_database
    from clinicops.config import get_settings
    from clinicops.organizations.models import Centre, Organization
    from clinicops.payments.models import Payment
    from clinicops.seed import catalog, demo

    migrate_database(get_settings())
    wiring.install()  # an entry point: every model (the seed's foreign keys resolve), job and effect

    async def load() -> dict:
        started = time.monotonic()
        result = await demo.seed_demo(scale=scale)
        seeded_s = time.monotonic() - started if result.created else None
        async with db.get_engine().begin() as conn:
            for statement in extra_sql:
                print(f"running: {statement}", flush=True)
                await conn.exec_driver_sql(statement)
            # planner statistics, as autovacuum would have them on a live database (fresh bulk loads have none)
            await conn.exec_driver_sql("ANALYZE")
        async with db.unit_of_work() as session:
            org_id = (await session.execute(select(Organization.id).where(
                Organization.slug == catalog.CHAIN_SLUG))).scalar_one()
            admin = (await session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(
                User.organization_id == org_id, UserRole.role == "ADMIN").limit(1))).scalar_one()
            centre_id = (await session.execute(select(Centre.id).where(Centre.organization_id == org_id)
                                               .order_by(Centre.id).limit(1))).scalar_one()
            counts = {
                "appointments": (await session.execute(select(func.count()).select_from(Appointment))).scalar_one(),
                "payments": (await session.execute(select(func.count()).select_from(Payment))).scalar_one(),
            }
        await db.dispose()
        return {"admin_id": admin.id, "token_version": admin.token_version or 0, "centre_id": centre_id,
                "seeded_s": seeded_s, **counts}

    return asyncio.run(load())


def _token(facts: dict) -> str:
    from clinicops.auth.tokens import issue_access_token
    from clinicops.config import get_settings

    token, _ = issue_access_token(get_settings(), user_id=facts["admin_id"], user_type="STAFF",
                                  token_version=facts["token_version"], session_family=None)
    return token


def _scenarios(centre_id: int) -> dict[str, str]:
    found = {}
    for name, path in ENDPOINTS:
        found[name] = path
        joiner = "&" if "?" in path else "?"
        found[f"{name}, centreId"] = f"{path}{joiner}centreId={centre_id}"
    return found


def _statements(scenarios: dict[str, str], token: str, explain: bool) -> dict[str, float]:
    """Mean SQL statements per request, counted in-process; optionally the plan of each figure statement."""
    import httpx
    from sqlalchemy import event

    from clinicops import db
    from clinicops.config import get_settings
    from clinicops.main import create_app

    app = create_app(get_settings(), run_worker=False)
    sent: list[tuple[str, object]] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def measure() -> dict[str, float]:
        event.listen(db.get_engine().sync_engine, "before_cursor_execute",
                     lambda conn, cursor, statement, parameters, *rest: sent.append((statement, parameters)))
        found: dict[str, float] = {}
        plans: dict[str, tuple[str, object]] = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            for name, path in scenarios.items():
                (await client.get(path, headers=headers)).raise_for_status()  # the pool's first connect
                sent.clear()
                for _ in range(5):
                    (await client.get(path, headers=headers)).raise_for_status()
                found[name] = len(sent) / 5
                plans[name] = sent[-1]
        if explain:
            async with db.get_engine().connect() as conn:
                for name, (statement, parameters) in plans.items():
                    result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
                    print(f"\n--- {name}\n" + "\n".join(r[0] for r in result))
        await db.dispose()
        return found

    return asyncio.run(measure())


def main() -> int:
    from bench.run import (
        _environment,
        _free_port,
        _start_server,
        _stop_embedded,
        _wait_healthy,
    )

    args = _args()
    os.environ.setdefault("CLINICOPS_LOG_LEVEL", "WARNING")  # no line per request in the output
    data_dir = _environment(args)
    print(f"preparing database (demo, scale {args.scale}) in {data_dir or 'CLINICOPS_DATABASE_URL'} ...", flush=True)
    facts = _prepare(args.scale, args.sql)
    seeded = f" (seeded in {facts['seeded_s']:.0f} s)" if facts["seeded_s"] is not None else " (already seeded)"
    print(f"{facts['appointments']:,} appointments, {facts['payments']:,} payments{seeded}", flush=True)
    scenarios = _scenarios(facts["centre_id"])
    token = _token(facts)
    statements = _statements(scenarios, token, args.explain)
    port = _free_port()
    log_path = (data_dir or Path(tempfile.gettempdir())) / "bench-analytics-server.log"
    server = _start_server(args, port, log_path)
    results = {}
    try:
        _wait_healthy(port, server)
        base = f"http://127.0.0.1:{port}"
        token = _token(facts)  # fresh: access tokens live 15 minutes
        for name, path in scenarios.items():
            results[name] = asyncio.run(time_gets(base, [path], {"Authorization": f"Bearer {token}"}, requests=args.requests, warmup=args.warmup,
                                              concurrency=args.concurrency))
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    _report(args, facts, results, statements)
    if data_dir:
        _stop_embedded(data_dir)
        if not args.data_dir and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if all(r["p95"] <= TARGET_P95_MS and not r["errors"] for r in results.values()) else 1


def _report(args: argparse.Namespace, facts: dict, results: dict, statements: dict) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\ndemo scale {args.scale}: {facts['appointments']:,} appointments, {facts['payments']:,} payments; "
          f"uvicorn x{args.workers}, concurrency {args.concurrency}, {args.requests} timed requests per scenario, "
          f"{os.cpu_count()} CPUs, load average after: {load}\n")
    print("| scenario (ADMIN) | p50 ms | p95 ms | p99 ms | mean ms | req/s | SQL statements/request | p95 ≤ 150 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, r in results.items():
        verdict = "ok" if r["p95"] <= TARGET_P95_MS and not r["errors"] else "MISSED"
        errors = f" ({r['errors']} errors)" if r["errors"] else ""
        print(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['mean']:.1f} | {r['rps']:.0f} | "
              f"{statements[name]:.1f} | {verdict}{errors} |")


if __name__ == "__main__":
    raise SystemExit(main())
