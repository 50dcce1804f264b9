"""Latency of GET requests through HTTP, a few at a time: the timing loop the latency benchmarks share."""

from __future__ import annotations

import asyncio
import statistics
import time


def percentile(sorted_ms: list[float], pct: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(pct / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[index]


async def time_gets(base: str, paths: list[str], headers: dict[str, str], *, requests: int, warmup: int,
                    concurrency: int) -> dict:
    """``requests`` GETs spread over ``concurrency`` keep-alive clients (after ``warmup`` untimed ones), each
    client walking ``paths`` from its own offset; p50/p95/p99 and mean in ms, requests/s, non-200 count."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:
        async def run(worker: int, count: int, into: list[float], failures: list[int]) -> None:
            for n in range(count):
                path = paths[(worker * 7 + n) % len(paths)]
                started = time.perf_counter()
                response = await client.get(path)
                into.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    failures.append(response.status_code)

        await asyncio.gather(*(run(w, max(1, warmup // concurrency), [], []) for w in range(concurrency)))
        timings: list[float] = []
        failures: list[int] = []
        started = time.perf_counter()
        await asyncio.gather(*(run(w, requests // concurrency, timings, failures) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    timings.sort()
    return {"p50": percentile(timings, 50), "p95": percentile(timings, 95), "p99": percentile(timings, 99),
            "mean": statistics.fmean(timings), "rps": len(timings) / elapsed, "errors": len(failures)}
