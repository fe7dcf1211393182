"""The printed table and `bench/results/latest.json`."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.config import MAX_P99_RATIO, MIN_THROUGHPUT_RATIO, RESULTS_DIR, BenchConfig
from bench.loadgen import LoadResult

LABELS = {
    "bare_row": "bare: one plain row",
    "bare": "bare: same insert",
    "billwire": "billwire gateway->nats->svc",
}


@dataclass
class ScenarioResult:
    name: str
    load: LoadResult
    expect: int
    cpu_pct: dict[str, float]

    def unexpected(self) -> int:
        return self.load.unexpected(self.expect)

    @property
    def rps(self) -> float:
        return self.load.ok_rps(self.expect)


def ratios(bare: ScenarioResult, billwire: ScenarioResult) -> dict:
    throughput = billwire.rps / bare.rps if bare.rps else 0.0
    p99 = billwire.load.p99_ms / bare.load.p99_ms if bare.load.p99_ms else float("inf")
    return {
        "throughput": round(throughput, 3),
        "p99": round(p99, 3),
        "throughput_target_min": MIN_THROUGHPUT_RATIO,
        "p99_target_max": MAX_P99_RATIO,
        "throughput_pass": throughput >= MIN_THROUGHPUT_RATIO,
        "p99_pass": p99 <= MAX_P99_RATIO,
    }


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(results: list[ScenarioResult]) -> str:
    lines = [f"{'scenario':<30}{'req/s':>9}{'p50 ms':>10}{'p99 ms':>10}"]
    # The targets compare with "same insert": the same computed document written by the same
    # statement (document, audit row, outbox event). "one plain row" shows what the audit
    # and outbox rows themselves cost.
    for r in results:
        lines.append(f"{LABELS[r.name]:<30}{r.rps:>9.0f}{r.load.p50_ms:>10.2f}{r.load.p99_ms:>10.2f}")
    by_name = {r.name: r for r in results}
    if {"bare", "billwire"} <= by_name.keys():
        q = ratios(by_name["bare"], by_name["billwire"])
        lines.append(
            f"{'ratio (billwire/same insert)':<30}{q['throughput']:>9.2f}{'':>10}{q['p99']:>10.2f}"
            f"    targets: >= {MIN_THROUGHPUT_RATIO:.2f} {_verdict(q['throughput_pass'])},"
            f" <= {MAX_P99_RATIO:.1f} {_verdict(q['p99_pass'])}"
        )
    if {"bare_row", "billwire"} <= by_name.keys():
        q = ratios(by_name["bare_row"], by_name["billwire"])
        lines.append(f"{'ratio (billwire/plain row)':<30}{q['throughput']:>9.2f}{'':>10}{q['p99']:>10.2f}    (for reference)")
    if any(r.unexpected() for r in results):
        lines.append("(req/s counts only the expected status; latencies include every response)")
    return "\n".join(lines)


def details(r: ScenarioResult) -> str:
    """Requests, statuses and where the CPU went, for one scenario."""
    load = r.load
    bad = r.unexpected()
    statuses = ", ".join(f"{n} x {s}" for s, n in sorted(load.statuses.items()))
    check = f"all {r.expect}" if bad == 0 else f"ERRORS: {bad} not {r.expect} ({statuses}; socket {load.socket_errors or 'none'})"
    cpu = ", ".join(f"{name} {pct:.0f}" for name, pct in r.cpu_pct.items() if name != "machine")
    cores = os.cpu_count() or 1
    machine = r.cpu_pct.get("machine")
    machine_text = ""
    if machine is not None:  # "other": processes outside this benchmark competing for the CPU
        ours = sum(pct for name, pct in r.cpu_pct.items() if name != "machine") + load.loadgen_cpu_pct
        machine_text = f"; machine {machine:.0f} of {cores * 100} (other processes ~{max(0.0, machine - ours):.0f})"
    return (
        f"  {r.name}: {load.requests} requests in {load.seconds:.1f} s, {check}\n"
        f"    cpu % of one core: {cpu}, {load.tool} {load.loadgen_cpu_pct:.0f}{machine_text}"
    )


def _scenario_json(r: ScenarioResult) -> dict:
    return {
        "label": LABELS[r.name], **r.load.as_dict(), "ok_rps": r.rps, "expected_status": r.expect,
        "unexpected": r.unexpected(), "cpu_pct_of_one_core": r.cpu_pct,
    }  # fmt: skip


def write_json(config: BenchConfig, results: list[ScenarioResult], infra_info: dict, path: Path | None = None) -> Path:
    path = path or RESULTS_DIR / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    by_name = {r.name: r for r in results}
    doc = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": asdict(config),
        "servers": infra_info,
        "scenarios": {r.name: _scenario_json(r) for r in results},
        "ratios": ratios(by_name["bare"], by_name["billwire"]) if {"bare", "billwire"} <= by_name.keys() else None,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path
