"""Fallback load generator (no wrk): closed-loop HTTP/1.1 keep-alive POSTs over asyncio streams.

`python -m bench.pyload --url URL --seconds N --connections C --body JSON [--header "K: V"]...`
prints one JSON line: requests, seconds, p50_ms, p99_ms, statuses, errors. Runs in its own
process so its CPU use stays apart from the bench's; uses uvloop when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from urllib.parse import urlsplit


def build_request(url: str, body: bytes, headers: list[str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json",
        f"Content-Length: {len(body)}", "Connection: keep-alive", *headers,
    ]  # fmt: skip
    return parts.hostname or "127.0.0.1", parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response (Content-Length or chunked body); return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def worker(host: str, port: int, request: bytes, deadline: float, latencies: list[float],
                 statuses: Counter, errors: Counter) -> None:  # fmt: skip
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            writer.write(request)
            status = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            statuses[str(status)] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            errors[type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


async def run(url: str, seconds: float, connections: int, body: bytes, headers: list[str]) -> dict:
    host, port, request = build_request(url, body, headers)
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker(host, port, request, deadline, latencies, statuses, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies), "seconds": elapsed,
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
        "statuses": dict(statuses), "errors": dict(errors),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pyload")
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--body", required=True)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    result = run_loop(run(args.url, args.seconds, args.connections, args.body.encode(), args.header))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
