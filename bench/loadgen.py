"""A small closed-loop HTTP load generator, used by bench/run.py when ``wrk`` is not installed.

Runs in its own process: C connections each send ``GET`` (or, for a write target, the POSTs of
a file in turn; ``Connection: close``, as gunicorn's
sync workers close every connection anyway), read the whole answer, and go again until the
duration is up. Prints the same JSON line as bench/report.lua does for wrk (times in µs).
Pure Python, so at thousands of requests a second it is itself a limit: prefer wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


async def _one(host: str, port: int, request: bytes) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, len(data)


def _requests(url: str, headers: list[str], writes: list[tuple[str, str]]) -> list[bytes]:
    """The raw requests to send in turn: one GET, or each POST of a write target."""
    parts = urlsplit(url)
    if not writes:
        writes = [(parts.path + (f"?{parts.query}" if parts.query else ""), "")]
    raw = []
    for target, body in writes:
        method = "POST" if body else "GET"
        lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        data = body.encode()
        if body:
            lines.append(f"Content-Length: {len(data)}")
        raw.append(("\r\n".join([*lines, *headers]) + "\r\n\r\n").encode() + data)
    return raw


async def _run(
    url: str,
    headers: list[str],
    connections: int,
    duration: float,
    writes: list[tuple[str, str]] | None = None,
) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = _requests(url, headers, writes or [])
    turn = 0
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    total_bytes = 0
    started = time.perf_counter()
    deadline = started + duration

    async def worker() -> None:
        nonlocal total_bytes, turn
        while time.perf_counter() < deadline:
            request = requests[turn % len(requests)]
            turn += 1
            sent = time.perf_counter()
            try:
                status, size = await asyncio.wait_for(_one(host, port, request), timeout=10)
            except TimeoutError:
                errors["timeout"] += 1
                continue
            except OSError:
                errors["connect"] += 1
                continue
            latencies.append((time.perf_counter() - sent) * 1e6)
            total_bytes += size
            if status >= 400 or status == 0:
                errors["status"] += 1

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> int:
        if not latencies:
            return 0
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))])

    mean = sum(latencies) / len(latencies) if latencies else 0.0
    stdev = (sum((x - mean) ** 2 for x in latencies) / len(latencies)) ** 0.5 if latencies else 0
    return {
        "duration_us": int(elapsed * 1e6),
        "requests": len(latencies),
        "bytes": total_bytes,
        "errors": errors,
        "latency_us": {
            "min": int(latencies[0]) if latencies else 0,
            "mean": round(mean, 1),
            "stdev": round(stdev, 1),
            "max": int(latencies[-1]) if latencies else 0,
            "p50": percentile(50),
            "p90": percentile(90),
            "p99": percentile(99),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("-c", "--connections", type=int, default=8)
    parser.add_argument("-d", "--duration", type=float, default=5.0)
    parser.add_argument("-H", "--header", action="append", default=[])
    parser.add_argument("--requests", help="POST these (PATH<TAB>BODY lines) in turn")
    parser.add_argument("--offset", type=int, default=0, help="skip this many lines first")
    args = parser.parse_args()
    writes = []
    if args.requests:
        with open(args.requests) as handle:
            lines = handle.read().splitlines()[args.offset :]
        writes = [tuple(line.split("\t", 1)) for line in lines]
    result = asyncio.run(_run(args.url, args.header, args.connections, args.duration, writes))
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
