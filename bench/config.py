"""Benchmark settings: defaults, environment overrides and `--quick`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
LOG_DIR = RESULTS_DIR / "logs"

# Targets printed next to the ratios (reported, never asserted).
MIN_THROUGHPUT_RATIO = 0.40
MAX_P99_RATIO = 3.0


@dataclass(frozen=True)
class BenchConfig:
    warmup_seconds: int = 3
    seconds: int = 15
    connections: int = 32
    threads: int = 2
    loadgen: str = "auto"  # auto | wrk | python

    @classmethod
    def from_env(cls, quick: bool = False) -> BenchConfig:
        """Defaults (or the `--quick` ones), then BILLWIRE_BENCH_* variables on top."""
        base = cls(warmup_seconds=1, seconds=5, connections=16) if quick else cls()
        env = os.environ
        return cls(
            warmup_seconds=base.warmup_seconds,
            seconds=_positive_int(env, "BILLWIRE_BENCH_SECONDS", base.seconds),
            connections=_positive_int(env, "BILLWIRE_BENCH_CONNECTIONS", base.connections),
            threads=base.threads,
            loadgen=env.get("BILLWIRE_BENCH_LOADGEN", base.loadgen).strip().lower() or "auto",
        )


def _positive_int(env: os._Environ[str] | dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, got {value}")
    return value
