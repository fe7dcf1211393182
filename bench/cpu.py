"""Where the CPU went during a measured run, read from /proc (Linux; empty elsewhere).

Sums per process group: our server children by pid, Postgres and nats-server by process
name (they may not be ours, reading /proc is harmless), and the whole machine.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
BY_NAME = {"postgres": ("postgres",), "nats-server": ("nats-server",)}


def _proc_seconds(pid: int) -> float:
    """user+system CPU seconds of one process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _pids_named(names: tuple[str, ...]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine_busy_seconds() -> float:
    """CPU seconds spent not idle, over all cores, since boot."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICKS


@dataclass
class CpuSnapshot:
    groups: dict[str, float]  # group name -> CPU seconds
    pid_sets: dict[str, list[int]]


def snapshot(children: dict[str, int]) -> CpuSnapshot:
    """Now: CPU seconds for each named child pid, for Postgres, nats-server and the machine."""
    if not Path("/proc/stat").exists():
        return CpuSnapshot({}, {})
    pid_sets = {name: [pid] for name, pid in children.items()}
    pid_sets.update({group: _pids_named(names) for group, names in BY_NAME.items()})
    groups = {name: sum(_proc_seconds(p) for p in pids) for name, pids in pid_sets.items()}
    groups["machine"] = _machine_busy_seconds()
    return CpuSnapshot(groups, pid_sets)


def usage(before: CpuSnapshot, after: CpuSnapshot, seconds: float) -> dict[str, float]:
    """Percent of one core per group between two snapshots (a process that came or went counts from 0)."""
    if seconds <= 0:
        return {}
    return {
        name: round(max(0.0, after.groups[name] - before.groups.get(name, 0.0)) / seconds * 100, 1)
        for name in after.groups
    }


def tree_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds of each named process with all its descendants (rendering's Chromium), plus
    Postgres, nats-server and this process."""
    import psutil

    def of(process: psutil.Process) -> float:
        # With the children each process has reaped: Chromium's short-lived helpers and a
        # browser recycled after N renders leave the tree, their CPU stays counted.
        total = 0.0
        for p in (process, *process.children(recursive=True)):
            try:
                times = p.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                continue
        return total

    out: dict[str, float] = {}
    for name, pid in pids.items():
        try:
            out[name] = of(psutil.Process(pid))
        except psutil.Error:
            out[name] = 0.0
    for group, names in BY_NAME.items():
        out[group] = sum(_proc_seconds(p) for p in _pids_named(names))
    own = psutil.Process().cpu_times()  # this process alone: the services are its children
    out["bench (load, SMTP sink)"] = own.user + own.system
    out["machine"] = _machine_busy_seconds()
    return out


@dataclass(frozen=True)
class CoreSplit:
    """Rendering (with its Chromium) on cores of its own, everything else the bench starts on
    the others: a deployment gives the rendering service a CPU share of its own."""

    rendering: frozenset[int]
    rest: frozenset[int]


def split_cores() -> CoreSplit | None:
    """The last core this process may use for rendering, the others for the rest; None without
    CPU affinity (not Linux) or with fewer than two cores. Postgres and nats-server are not the
    bench's children and keep running anywhere."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    return CoreSplit(rendering=frozenset(cores[-1:]), rest=frozenset(cores[:-1]))


@contextlib.contextmanager
def running_on(cpus: frozenset[int] | None) -> Iterator[None]:
    """This thread, and the threads and processes it starts meanwhile, on `cpus` (all when None)."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
