"""CPU cost per request, in-process (no network, no load generator): where the time of one request goes.

    .venv/bin/python bench/cpu_profile.py --data-dir /tmp/clinicops-bench [--requests 300] [--cprofile]

Uses the same data as bench/run.py (seeding it when the directory is new). CPU seconds per request are far less
sensitive to other work on the machine than requests/s are, so this is the number to optimise against.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--only")
    parser.add_argument("--no-pre-ping", action="store_true", help="what the pool's pre-ping costs per request")
    args = parser.parse_args()
    os.environ["CLINICOPS_DATA_DIR"] = args.data_dir
    os.environ.setdefault("CLINICOPS_ENV", "staging")
    os.environ["CLINICOPS_INLINE_WORKER"] = "false"
    from bench.run import _prepare, _scenarios, admin_token

    seeded = _prepare(args.scale)
    scenarios = _scenarios(seeded, admin_token())
    import logging

    import httpx

    from clinicops import db
    from clinicops.config import get_settings
    from clinicops.main import create_app

    if args.no_pre_ping:
        real = db.create_async_engine
        db.create_async_engine = lambda *a, **kw: real(*a, **{**kw, "pool_pre_ping": False})
    app = create_app(get_settings(), run_worker=False)
    logging.disable(logging.CRITICAL)
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())

    async def drive():
        transport = httpx.ASGITransport(app=app)
        # the lifespan starts what a served process has (the change feed that keeps its caches valid)
        async with app.router.lifespan_context(app), \
                httpx.AsyncClient(transport=transport, base_url="http://p") as client:
            for name, scenario in scenarios.items():
                if args.only and name != args.only:
                    continue
                paths, headers = scenario.paths, scenario.headers
                for path in paths[:20]:
                    response = await client.get(path, headers=headers)
                    if name != "health":  # 503 without a job worker's heartbeat; it costs the same
                        response.raise_for_status()
                profiler = cProfile.Profile() if args.cprofile else None
                cpu, wall = time.process_time(), time.perf_counter()
                if profiler:
                    profiler.enable()
                for i in range(args.requests):
                    await client.get(paths[i % len(paths)], headers=headers)
                if profiler:
                    profiler.disable()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                print(f"{name}: {cpu / args.requests * 1000:.2f} ms CPU/request (client included), "
                      f"{wall / args.requests * 1000:.2f} ms wall")
                if profiler:
                    stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative"))
                    stats.print_stats(int(os.environ.get("TOP", "35")))
                    if os.environ.get("CALLERS"):
                        stats.print_callers(os.environ["CALLERS"])
        await db.dispose()

    asyncio.run(drive())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
