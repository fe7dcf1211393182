"""What seeing inside costs: bus requests per second through one FastStream handler, and the
process's peak memory, without metrics, with the metrics every service has, and with tracing on.

`uv run python -m bench observability [--quick]`. Each way runs in a process of its own (the
tracer provider is per process): 32 requests in flight over the shared `BusClient` to a
subscriber of `create_broker`, against a real NATS. "traced" installs the SDK with a batching
processor whose exporter drops the spans, so the cost is the spans' own, not a collector's.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time

from bench.infra import Infra

MODES = ("no metrics", "metrics", "metrics + traced")
IN_FLIGHT = 32


async def _child(mode: str, nats_url: str, prefix: str, seconds: float) -> dict[str, float]:
    if mode == "metrics + traced":
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

        class Dropped(SpanExporter):
            def export(self, spans):  # type: ignore[no-untyped-def]
                return SpanExportResult.SUCCESS

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(Dropped()))
        trace.set_tracer_provider(provider)
    from billwire_shared.bus import create_broker
    from billwire_shared.bus_client import BusClient, connect_nats
    from billwire_shared.subjects import Names

    names = Names(prefix)
    broker = create_broker(nats_url, service="" if mode == "no metrics" else "bench", prefix=prefix)

    async def echo(body: dict) -> dict:
        return {"echo": body.get("n", 0)}

    broker.subscriber(names.subject("bench.rpc.echo"), queue="bench", max_workers=IN_FLIGHT)(echo)
    await broker.start()
    nc = await connect_nats(nats_url)
    client = BusClient(nc, names, 5.0)
    latencies: list[float] = []

    async def worker(until: float) -> None:
        n = 0
        while time.perf_counter() < until:
            started = time.perf_counter()
            await client.call("bench.rpc.echo", {"n": n})
            latencies.append(time.perf_counter() - started)
            n += 1

    await asyncio.gather(*(worker(time.perf_counter() + 1.0) for _ in range(IN_FLIGHT)))  # warm-up
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(worker(started + seconds) for _ in range(IN_FLIGHT)))
    elapsed = time.perf_counter() - started
    await nc.drain()
    await broker.stop()
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(quick: bool = False) -> int:
    """The ways in turn, `rounds` times (a busy machine's noise falls on all of them alike); the
    median round of each is shown."""
    seconds, rounds = (3.0, 1) if quick else (5.0, 3)
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with Infra() as infra:
        for round_number in range(rounds):
            for mode in MODES:
                print(f"[observability] round {round_number + 1}/{rounds}, {mode}: {seconds:.0f} s ...", flush=True)
                done = subprocess.run(
                    [sys.executable, "-m", "bench.observability_bench", mode, infra.nats_url,
                     f"{infra.prefix}r{round_number}{MODES.index(mode)}", str(seconds)],
                    check=False, capture_output=True, text=True, timeout=seconds + 120,
                )
                if done.returncode != 0:
                    print(done.stderr, file=sys.stderr)
                    return 1
                runs[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = {mode: sorted(found, key=lambda row: row["rps"])[len(found) // 2] for mode, found in runs.items()}
    base = rows[MODES[0]]
    print(f"\nobservability: bus requests through one handler, {IN_FLIGHT} in flight, median of {rounds} x {seconds:.0f} s, a process each")
    print(f"{'way':<18} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'peak MB':>8}")
    for mode, row in rows.items():
        print(f"{mode:<18} {row['rps']:>8.0f} {row['rps'] / base['rps']:>6.2f} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['peak_mb']:>8.1f}")
    return 0


if __name__ == "__main__":
    mode, nats_url, prefix, seconds = sys.argv[1:5]
    print(json.dumps(asyncio.run(_child(mode, nats_url, prefix, float(seconds)))))
