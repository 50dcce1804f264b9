"""Load generators: ``wrk`` when installed, else a small keep-alive HTTP/1.1 client on asyncio.

Both return the same numbers: requests/s, latency percentiles and how many answers were not 2xx.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LoadResult:
    generator: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    cpu_ms: tuple[float, float, float] | None = None  # per request: API, PostgreSQL, load generator
    connections_opened: int = 0  # new PostgreSQL connections during the run (pool churn)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_LUA = """
local paths = {%s}
local headers = {%s}
local i = 0
request = function()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i], headers)
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(base_url: str, paths: list[str], *, seconds: int, connections: int, threads: int = 2,
            headers: dict[str, str] | None = None) -> LoadResult:
    lua = _LUA % (", ".join(f'"{p}"' for p in paths),
                  ", ".join(f'["{k}"] = "{v}"' for k, v in (headers or {}).items()))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                              "-s", script.name, base_url], check=True, capture_output=True, text=True).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    pct = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    non_2xx = int(bad.group(1)) if bad else 0
    if errors:
        non_2xx += sum(int(n) for n in re.findall(r"\d+", errors.group(1)))
    return LoadResult("wrk", int(total.group(1)), seconds, rps, pct["50"], pct["90"], pct["99"], non_2xx)


async def _worker(host: str, port: int, paths: list[str], offset: int, stop_at: float, latencies: list[float],
                  statuses: list[int], extra: str) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(status)
    finally:
        writer.close()


def run_python(base_url: str, paths: list[str], *, seconds: int, connections: int,
               headers: dict[str, str] | None = None) -> LoadResult:
    match = re.match(r"http://([^:/]+):(\d+)", base_url)
    host, port = match.group(1), int(match.group(2))
    latencies: list[float] = []
    statuses: list[int] = []

    async def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        await asyncio.gather(*(_worker(host, port, paths, n * 7, stop_at, latencies, statuses, extra)
                               for n in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    return LoadResult("python-asyncio", len(latencies), elapsed, len(latencies) / elapsed, pct(0.5), pct(0.9),
                      pct(0.99), sum(1 for s in statuses if not 200 <= s < 300))


def run(base_url: str, paths: list[str], *, seconds: int, connections: int, generator: str = "auto",
        headers: dict[str, str] | None = None) -> LoadResult:
    if generator == "wrk" or (generator == "auto" and have_wrk()):
        return run_wrk(base_url, paths, seconds=seconds, connections=connections, headers=headers)
    return run_python(base_url, paths, seconds=seconds, connections=connections, headers=headers)
