"""`python -m bench rendering`: the same invoice rendered four ways, one after the other.

(a) a browser launched per PDF, (b) WeasyPrint in two processes, (c) the raw page pool at 1, 2
and 4 pages, (d) the whole rendering service (send request in -> rendered event out).
PDFs/s, p50, p99 and peak RSS per scenario, and the target ratios marked PASS/MISS (never
asserted): (d) >= 70% of the best (c); the best (c) >= 12x (a) and >= 2.5x (b).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
from datetime import UTC, datetime

from bench.config import RESULTS_DIR
from bench.infra import Infra
from bench.render_scenarios import Result, launch_per_pdf, page_pool, weasyprint_two_processes
from bench.render_service import rendering_service

TARGET_SERVICE = 0.70
TARGET_VS_LAUNCH = 12.0
TARGET_VS_WEASYPRINT = 2.5
LABELS = {
    "a": "(a) browser launch per PDF",
    "b": "(b) WeasyPrint",
    "c1": "(c) page pool",
    "c2": "(c) page pool",
    "c4": "(c) page pool",
    "d": "(d) rendering service",
}


def _verdict(value: float, target: float) -> str:
    return "PASS" if value >= target else "MISS"


def table(results: list[Result]) -> str:
    lines = [f"{'scenario':<30}{'':<18}{'PDFs/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'peak RSS MB':>13}{'errors':>8}"]
    for r in results:
        if not r.latencies:
            lines.append(f"{LABELS[r.name]:<30}{r.note:<18}{'—':>8}    ({r.note or 'no result'})")
            continue
        lines.append(
            f"{LABELS[r.name]:<30}{r.note:<18}{r.rate:>8.1f}{r.percentile(0.5):>9.0f}{r.percentile(0.99):>9.0f}"
            f"{r.peak_rss / 2**20:>13.0f}{r.errors:>8}"
        )
    by = {r.name: r for r in results if r.latencies}
    pools = [by[k] for k in ("c1", "c2", "c4") if k in by]
    if pools:
        best = max(pools, key=lambda r: r.rate)
        lines.append(f"best (c): {best.note}, {best.rate:.1f} PDFs/s")
        for name, target, text in (
            ("d", TARGET_SERVICE, "(d) / best (c)"),
        ):
            if name in by:
                ratio = by[name].rate / best.rate
                lines.append(f"  {text:<26}{ratio:>7.2f}   target >= {target:.2f}  {_verdict(ratio, target)}")
        for name, target, text in (("a", TARGET_VS_LAUNCH, "best (c) / (a)"), ("b", TARGET_VS_WEASYPRINT, "best (c) / (b)")):
            if name in by and by[name].rate:
                ratio = best.rate / by[name].rate
                lines.append(f"  {text:<26}{ratio:>7.2f}   target >= {target:.2f}  {_verdict(ratio, target)}")
    return "\n".join(lines)


def write_json(results: list[Result], seconds: float) -> str:
    path = RESULTS_DIR / "rendering.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "seconds_per_scenario": seconds,
        "scenarios": {
            r.name: {"label": LABELS[r.name], "note": r.note, "pdfs": len(r.latencies), "pdfs_per_s": round(r.rate, 2),
                     "p50_ms": round(r.percentile(0.5), 1) if r.latencies else None,
                     "p99_ms": round(r.percentile(0.99), 1) if r.latencies else None,
                     "peak_rss_mb": round(r.peak_rss / 2**20), "errors": r.errors}
            for r in results
        },
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return str(path)


def run(quick: bool = False) -> int:
    seconds = float(os.environ.get("BILLWIRE_BENCH_RENDER_SECONDS") or (4 if quick else 12))
    results: list[Result] = []

    def step(label: str, make) -> Result:
        print(f"[rendering] {label} for {seconds:.0f} s ...", flush=True)
        result = make()
        results.append(result)
        return result

    step("(a) browser launch per PDF", lambda: asyncio.run(launch_per_pdf(seconds)))
    step("(b) WeasyPrint, 2 processes", lambda: weasyprint_two_processes(seconds))
    pools = [step(f"(c) page pool, {n} page(s)", lambda n=n: asyncio.run(page_pool(n, seconds))) for n in (1, 2, 4)]
    best = max(pools, key=lambda r: r.rate)
    best_pages = int(best.name[1:])
    with Infra() as infra:
        print(f"[rendering] servers: Postgres from {infra.pg_origin}, NATS from {infra.nats_origin}", flush=True)
        step(f"(d) rendering service, {best_pages} pages", lambda: rendering_service(infra, best_pages, seconds))
    print()
    print(table(results))
    print("(peak RSS: the process and its children, Chromium's included, summed)")
    print(f"\nwritten: {write_json(results, seconds)}")
    return 1 if any(r.errors for r in results) else 0
