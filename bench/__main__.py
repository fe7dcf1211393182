"""`uv run python -m bench [gateway|rendering|parser|mcp|send|einvoice|recurring|footprint|scale|observability|archive|web|all] [--quick]`: run the benchmarks (all by default).

gateway:   the create-invoice path against a bare endpoint (bare row, bare insert, billwire)
rendering: PDFs four ways (browser per PDF, WeasyPrint, the page pool, the rendering service)
parser:    the offline invoice-text parser, texts per second (no servers)
mcp:       MCP create_invoice + get_invoice against the same two REST calls
send:      invoices sent end to end into an SMTP server, against rendering alone
einvoice:  XRechnung / Factur-X XML generated and validated per second; Factur-X PDF over plain PDF
recurring: 10,000 recurring invoices due at once through the scheduler, against as many POST /invoices
archive:   the tax-audit ZIP of 1,000 and 10,000 issued documents: time and the gateway's peak memory
footprint: the whole `make run` stack's PSS idle and under sends, start-up time to /ready
scale:     list, overdue filter, stats and usage at 1k / 10k (/ 50k) documents in one account, p50 / p95 and growth
observability: bus requests through a handler without metrics, with them, and traced; peak memory of each
web:       the overview, documents list and a document page against their REST calls at 10k documents; page bytes
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bench import scenarios
from bench.config import LOG_DIR, BenchConfig
from bench.cpu import snapshot, usage
from bench.infra import Infra
from bench.loadgen import pick_tool, run_load, warm_up
from bench.procs import BenchError
from bench.report import ScenarioResult, details, table, write_json
from billwire_cli.embedded import EmbeddedServerError

# The benches that start their own servers, in the order `all` runs them: "module:function" of
# bench, imported only when asked for (some need the bench group's extra packages).
OWN_SERVERS = {
    "mcp": "flows:run_mcp", "send": "flows:run_send", "recurring": "recurring_bench:run", "footprint": "footprint:run",
    "archive": "archive_bench:run", "scale": "scale_bench:run", "observability": "observability_bench:run", "web": "web_bench:run",
}


def _sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # run the same clean-up as Ctrl-C


@dataclass
class Outcome:
    code: int | None = None  # set when the run was interrupted (130) or could not start its systems (1)


@contextlib.contextmanager
def stopped_cleanly() -> Iterator[Outcome]:
    """Turn Ctrl-C (or SIGTERM) and a failure to start the systems into an exit code and one
    line; the clean-up of whatever the block started has run by then."""
    outcome = Outcome()
    try:
        yield outcome
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopped everything it started", file=sys.stderr)
        outcome.code = 130
    except (BenchError, EmbeddedServerError) as exc:
        print(f"bench: {exc}\n(logs in {LOG_DIR})", file=sys.stderr)
        outcome.code = 1


def measure(name: str, starter, infra: Infra, tool: str, config: BenchConfig) -> ScenarioResult:
    """Start one system, warm it up, measure it, stop it."""
    print(f"[{name}] starting ...", flush=True)
    with starter(infra) as running:
        print(f"[{name}] warm-up {config.warmup_seconds} s ...", flush=True)
        warm = warm_up(tool, running.target, config)
        if warm.unexpected(running.target.expect):
            print(f"[{name}] warning: warm-up saw unexpected responses: {warm.statuses} {warm.socket_errors}")
        print(f"[{name}] measuring {config.seconds} s with {config.connections} connections ...", flush=True)
        before, started = snapshot(running.pids), time.monotonic()
        load = run_load(tool, running.target, config.seconds, config)
        cpu = usage(before, snapshot(running.pids), time.monotonic() - started)
    result = ScenarioResult(name, load, running.target.expect, cpu)
    if result.unexpected():
        print(f"[{name}] ERROR: {result.unexpected()} responses were not {result.expect}: "
              f"statuses {load.statuses}, socket errors {load.socket_errors}")  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("which", nargs="?", choices=(
        "all", "gateway", "rendering", "parser", "mcp", "send", "einvoice", "recurring", "scale", "footprint", "observability", "archive", "web",
    ), default="all")
    parser.add_argument("--quick", action="store_true", help="shorter runs (gateway: 1 s warm-up, 5 s, 16 connections)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _sigterm)
    codes = []
    if args.which in ("all", "parser"):
        from bench import parser_bench

        codes.append(parser_bench.run(args.quick))
    if args.which in ("all", "einvoice"):
        from bench import einvoice_bench

        codes.append(einvoice_bench.run(args.quick))
    if args.which in ("all", "gateway"):
        codes.append(gateway(args.quick))
    for name, entry in OWN_SERVERS.items():
        if args.which in ("all", name):
            module, function = entry.split(":")
            codes.append(_reported(name, getattr(importlib.import_module(f"bench.{module}"), function), args.quick))
    if args.which in ("all", "rendering"):
        from bench import rendering

        with stopped_cleanly() as outcome:
            codes.append(rendering.run(args.quick))
        if outcome.code is not None:
            return outcome.code
    return max(codes)


def _reported(name: str, run: Callable[[bool], int], quick: bool) -> int:
    """A bench that starts its own servers: when they fail, the failure and where their logs are
    is printed and the bench counts as failed, so the benches after it still run."""
    try:
        return run(quick)
    except (BenchError, EmbeddedServerError) as exc:
        print(f"bench {name}: {exc}\n(logs in {LOG_DIR})", file=sys.stderr)
        return 1


def gateway(quick: bool) -> int:
    config = BenchConfig.from_env(quick=quick)
    try:
        tool = pick_tool(config)
    except (BenchError, EmbeddedServerError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if tool != "wrk":
        print("bench: wrk not found (apt-get install -y wrk); using the Python load generator", flush=True)
    results: list[ScenarioResult] = []
    with stopped_cleanly() as outcome, Infra() as infra:
        print(f"servers: Postgres from {infra.pg_origin}, NATS from {infra.nats_origin}; "
              f"database {infra.database}, prefix {infra.prefix}; load generator {tool}", flush=True)  # fmt: skip
        for name, starter in (("bare_row", scenarios.bare_row), ("bare", scenarios.bare), ("billwire", scenarios.billwire)):
            results.append(measure(name, starter, infra, tool, config))
        info = {"postgres": infra.pg_origin, "nats": infra.nats_origin}
    if outcome.code is not None:
        return outcome.code
    print()
    print(table(results))
    print()
    for r in results:
        print(details(r))
    path = write_json(config, results, info)
    print(f"\nwritten: {path}")
    return 1 if any(r.unexpected() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
