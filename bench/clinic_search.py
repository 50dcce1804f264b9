"""Latency of the clinic's patient search and a doctor's patient list (/api/v1), with 10,000 patients and 50,000
visits in the clinic (and, by default, three other clinics of the same size on the same database).

    .venv/bin/python bench/clinic_search.py [--requests 400] [--concurrency 1] [--workers 1]
                                            [--patients 10000] [--visits 50000] [--other-clinics 3]
                                            [--data-dir DIR] [--keep] [--explain]

It creates its own embedded PostgreSQL under a fresh data directory (or reuses ``--data-dir``, or uses
CLINICOPS_DATABASE_URL, which must point at an empty database), migrates, generates the data
(``bench/clinic_data.py``, ``generate_series`` in SQL: ~15 s), runs ``VACUUM ANALYZE``, signs in the clinic's admin
and one doctor (real clinic sessions), counts the SQL statements each request sends and checks every statement's
plan for sequential scans of the big tables (in-process, the ``before_cursor_execute`` hook the tests use), then
starts the API (uvicorn, staging settings, as ``bench/run.py`` does) on a free port and times ``--requests``
requests per scenario after a warm-up, ``--concurrency`` at a time, cycling through varied search terms.
Target: p95 ≤ 20 ms per scenario; the exit status is 1 when one misses it. ``--explain`` prints every plan.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import time_gets

TARGET_P95_MS = 20.0
BIG_TABLES = ("patients", "patient_registrations", "care_relationships", "visits", "clinical_notes", "audit_events")
PHONE_PREFIX = "+9193"  # the clinic's patients: this + 8 digits; other clinic n (from 0): "+919<4 + n>" + 8 digits


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000, help="patients of the clinic")
    parser.add_argument("--visits", type=int, default=50_000, help="visits in the clinic")
    parser.add_argument("--doctors", type=int, default=5, help="doctors of the clinic")
    parser.add_argument("--other-clinics", type=int, default=3, choices=range(6),
                        help="other clinics of the same size on the same database (the SaaS's other tenants)")
    parser.add_argument("--requests", type=int, default=400, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests per scenario first")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--data-dir", help="embedded PostgreSQL location (default: a fresh temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of every statement")
    args = parser.parse_args()
    args.server, args.pre_ping = "uvicorn", False
    return args


@dataclass
class Scenario:
    paths: list[str]
    role: str  # "admin" or "doctor": whose token


def _prepare(args: argparse.Namespace) -> dict:
    """Migrate, generate the clinics unless present, VACUUM ANALYZE; the facts the scenarios need."""
    from bench import clinic_data
    from clinicops import db, wiring
    from clinicops.cli import migrate_database
    from clinicops.config import get_settings

    migrate_database(get_settings())
    wiring.install()  # an entry point: every model, job and effect

    async def load() -> dict:
        started = time.monotonic()
        async with db.unit_of_work() as session:
            clinic = await clinic_data.seed_clinic(
                session, slug=clinic_data.CLINIC_SLUG, name="Bench Clinic", phone_prefix=PHONE_PREFIX,
                staff_phone_prefix="+9192000000", patients=args.patients, visits=args.visits, doctors=args.doctors)
            for n in range(args.other_clinics):
                await clinic_data.seed_clinic(
                    session, slug=f"{clinic_data.OTHER_SLUG}-{n + 1}", name=f"Other Bench Clinic {n + 1}",
                    phone_prefix=f"+919{4 + n}", staff_phone_prefix=f"+9192000{n + 1:02d}0",
                    patients=args.patients, visits=args.visits, doctors=args.doctors)
        seeded_s = time.monotonic() - started
        async with db.get_engine().connect() as conn:
            # planner statistics and visibility maps (index-only scans), as autovacuum would have them on a live
            # database after a bulk load; a fresh load has neither
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        await db.dispose()
        return {"clinic": clinic, "seeded_s": seeded_s}

    return asyncio.run(load())


def _headers(clinic) -> dict[str, dict[str, str]]:
    """Bearer headers of the clinic's admin and first doctor, from real clinic sessions (as verify-login makes)."""
    from clinicops import db
    from clinicops.auth import sessions
    from clinicops.auth.models import User

    async def sign_in() -> dict[str, dict[str, str]]:
        found = {}
        async with db.unit_of_work() as session:
            for role, user_id in (("admin", clinic.admin_user_id), ("doctor", clinic.doctors[0][1])):
                user = await session.get(User, user_id)
                tokens = await sessions.start(session, user, policy=sessions.ROTATING, surface=sessions.CLINIC)
                found[role] = {"Authorization": f"Bearer {tokens.access_token}"}
        await db.dispose()
        return found

    return asyncio.run(sign_in())


def _scenarios(clinic, patients: int) -> dict[str, Scenario]:
    """Varied terms, so no answer is a cached one: phone prefixes that match 1 to 100 patients, first-name prefixes
    of 3 and 5 letters and a full name, and pages of a doctor's list."""
    from bench.clinic_data import FIRST_NAMES, LAST_NAMES

    rng = random.Random(11)
    phones = []
    for _ in range(60):
        n = rng.randrange(patients)
        digits = f"{n:08d}"[: rng.choice((6, 7, 8))]  # 6 digits: up to 100 patients; 8: exactly one
        phones.append(f"/api/v1/patients/search?phone=%2B{PHONE_PREFIX[1:]}{digits}&limit=10")
    names = [f"/api/v1/patients/search?name={first[:k]}&limit=10" for first in FIRST_NAMES for k in (3, 5)]
    names += [f"/api/v1/patients/search?name={first}%20{last}&limit=10"
              for first, last in zip(FIRST_NAMES, LAST_NAMES * 2)]
    doctor = f"doc_{clinic.doctors[0][0]}"
    pages = [f"/api/v1/doctors/{doctor}/patients?limit=20&offset={offset}" for offset in range(0, 400, 20)]
    return {
        # the floor: the same request path (token, identity, envelope) with one small read and no patient data
        "baseline: clinic profile (admin)": Scenario(["/api/v1/clinics/profile"], "admin"),
        "search by phone prefix (admin)": Scenario(phones, "admin"),
        "search by name prefix (admin)": Scenario(names, "admin"),
        "search by phone prefix (doctor)": Scenario(phones, "doctor"),
        "search by name prefix (doctor)": Scenario(names, "doctor"),
        "doctor's patient list (doctor)": Scenario(pages, "doctor"),
        "doctor's patient list (admin)": Scenario(pages, "admin"),
    }


def _inspect(scenarios: dict[str, Scenario], headers: dict, explain: bool) -> dict[str, dict]:
    """Per scenario: mean SQL statements per request, mean items found, and the big tables read by a sequential
    scan in any statement's plan (EXPLAIN ANALYZE, run in-process on the statements the requests sent)."""
    import httpx
    from sqlalchemy import event

    from clinicops import db
    from clinicops.config import get_settings
    from clinicops.main import create_app

    app = create_app(get_settings(), run_worker=False)
    sent: list[tuple[str, object]] = []

    async def measure() -> dict[str, dict]:
        event.listen(db.get_engine().sync_engine, "before_cursor_execute",
                     lambda conn, cursor, statement, parameters, *rest: sent.append((statement, parameters)))
        found: dict[str, dict] = {}
        transport = httpx.ASGITransport(app=app)
        # the app's lifespan starts the change-feed listener, without which the identity cache is bypassed
        async with app.router.lifespan_context(app), \
                httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            for name, scenario in scenarios.items():
                auth = headers[scenario.role]
                (await client.get(scenario.paths[0], headers=auth)).raise_for_status()  # the pool's first connect
                sample = scenario.paths[:10]
                sent.clear()
                items, last = [], 0
                for path in sample:
                    last = len(sent)
                    response = await client.get(path, headers=auth)
                    response.raise_for_status()
                    items.append(_items(response.json()["data"]))
                scans, plans = await _plans(sent[last:])  # the plans of the last request's statements
                found[name] = {"statements": len(sent) / len(sample), "items": statistics.fmean(items),
                               "scans": scans}
                if explain:
                    print(f"\n=== {name}: {sample[-1]}")
                    for plan in plans:
                        print(plan)
        await db.dispose()
        return found

    return asyncio.run(measure())


async def _plans(statements: list[tuple[str, object]]) -> tuple[set[str], list[str]]:
    from clinicops import db

    scans: set[str] = set()
    plans = []
    async with db.get_engine().connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            plan = "\n".join(r[0] for r in result)
            plans.append(f"--- {statement.strip()[:300]}\n{plan}")
            scans |= {t for t in BIG_TABLES if re.search(rf"Seq Scan on {t}\b", plan)}
        await conn.rollback()
    return scans, plans


def _items(data) -> int:
    if isinstance(data, dict):
        for key in ("patients", "items"):
            if isinstance(data.get(key), list):
                return len(data[key])
    return len(data) if isinstance(data, list) else 0


def main() -> int:
    from bench.run import (
        CpuMeter,
        _environment,
        _free_port,
        _start_server,
        _stop_embedded,
        _wait_healthy,
    )

    args = _args()
    os.environ.setdefault("CLINICOPS_LOG_LEVEL", "WARNING")  # no line per request in the output
    data_dir = _environment(args)
    print(f"preparing database in {data_dir or 'CLINICOPS_DATABASE_URL'} ...", flush=True)
    facts = _prepare(args)
    clinic = facts["clinic"]
    print(f"clinic: {clinic.patients:,} patients, {clinic.visits:,} visits, {len(clinic.doctors)} doctors, and "
          f"{args.other_clinics} other clinics of the same size (generated in {facts['seeded_s']:.1f} s)", flush=True)
    scenarios = _scenarios(clinic, clinic.patients)
    inspected = _inspect(scenarios, _headers(clinic), args.explain)
    port = _free_port()
    log_path = (data_dir or Path(tempfile.gettempdir())) / "bench-clinic-search-server.log"
    server = _start_server(args, port, log_path)
    results = {}
    try:
        _wait_healthy(port, server)
        base = f"http://127.0.0.1:{port}"
        headers = _headers(clinic)  # fresh: access tokens live 15 minutes
        meter = CpuMeter(server.pid, data_dir)
        for name, scenario in scenarios.items():
            before = meter.snapshot()
            results[name] = asyncio.run(time_gets(base, scenario.paths, headers[scenario.role], requests=args.requests,
                                              warmup=args.warmup, concurrency=args.concurrency))
            after = meter.snapshot()
            if before and after:  # CPU of the timed and the warm-up requests, per request
                count = args.requests + args.warmup
                results[name]["cpu"] = (CpuMeter.delta(before[0], after[0]) * 1000 / count,
                                        CpuMeter.delta(before[1], after[1]) * 1000 / count)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    _report(args, clinic, results, inspected)
    if data_dir:
        _stop_embedded(data_dir)
        if not args.data_dir and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    ok = all(r["p95"] <= TARGET_P95_MS and not r["errors"] for n, r in results.items() if not _baseline(n))
    return 0 if ok and not any(i["scans"] for i in inspected.values()) else 1


def _baseline(name: str) -> bool:
    return name.startswith("baseline")


def _report(args: argparse.Namespace, clinic, results: dict, inspected: dict) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nclinic of {clinic.patients:,} patients and {clinic.visits:,} visits; uvicorn x{args.workers}, "
          f"concurrency {args.concurrency}, {args.requests} timed requests per scenario, {os.cpu_count()} CPUs, "
          f"load average after: {load}\n")
    print("| scenario | p50 ms | p95 ms | p99 ms | mean ms | req/s | CPU ms/request: API + PostgreSQL "
          "| SQL statements/request | items/answer | seq scans of big tables | p95 ≤ 20 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for name, r in results.items():
        facts = inspected[name]
        verdict = "-" if _baseline(name) else "ok" if r["p95"] <= TARGET_P95_MS and not r["errors"] else "MISSED"
        errors = f" ({r['errors']} errors)" if r["errors"] else ""
        scans = ", ".join(sorted(facts["scans"])) or "none"
        cpu = f"{r['cpu'][0]:.1f} + {r['cpu'][1]:.1f}" if r.get("cpu") else "-"
        print(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['mean']:.1f} | {r['rps']:.0f} | "
              f"{cpu} | {facts['statements']:.1f} | {facts['items']:.1f} | {scans} | {verdict}{errors} |")
    print("\nCPU per request hardly depends on what else runs on the machine (unlike latency): at concurrency 1 on "
          "an idle machine a request takes about its CPU time plus a few round trips.")


if __name__ == "__main__":
    raise SystemExit(main())
