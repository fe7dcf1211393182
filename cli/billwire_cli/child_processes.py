"""The services `billwire run` starts: each in a process group of its own that dies with the
command, its output prefixed with its name, and stopped in order (the service first, what it
left behind after it)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from dataclasses import dataclass, field

STOP_GRACE = 10.0

_COLORS = ["36", "35", "33", "32", "34", "31"]


@dataclass
class Proc:
    name: str
    proc: asyncio.subprocess.Process
    waiter: asyncio.Task[int]
    pumps: list[asyncio.Task[None]] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)  # only when captured


class Output:
    """Writes child output as `name      | line`, coloured on a terminal."""

    def __init__(self, names: list[str]) -> None:
        self.width = max(map(len, names))
        self.color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self._assigned: dict[str, str] = {}

    def prefix(self, name: str) -> str:
        label = f"{name:<{self.width}} |"
        if not self.color:
            return label + " "
        code = self._assigned.setdefault(name, _COLORS[len(self._assigned) % len(_COLORS)])
        return f"\033[{code}m{label}\033[0m "

    def line(self, name: str, text: str) -> None:
        self.write(self.prefix(name) + text)

    def write(self, text: str) -> None:
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass


def say(text: str) -> None:
    """Orchestrator messages go to stderr, away from the services' output."""
    print(f"billwire run: {text}", file=sys.stderr, flush=True)


async def spawn(out: Output, name: str, args: list[str], env: dict[str, str], *, capture: bool = False) -> Proc:
    """Start `python <args>` in its own process group, pumping its output line by line."""
    cmd = [sys.executable, *args]
    if setpriv := shutil.which("setpriv"):
        cmd = [setpriv, "--pdeathsig", "TERM", "--", *cmd]  # dies with us even on SIGKILL
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE if capture else asyncio.subprocess.STDOUT,
        start_new_session=True, limit=1 << 20,
    )  # fmt: skip
    p = Proc(name, proc, asyncio.create_task(proc.wait()))
    assert proc.stdout is not None
    if capture:
        assert proc.stderr is not None
        p.pumps = [
            asyncio.create_task(_pump(proc.stdout, p.stdout.append)),
            asyncio.create_task(_pump(proc.stderr, lambda text: out.line(name, text))),
        ]
    else:
        p.pumps = [asyncio.create_task(_pump(proc.stdout, lambda text: out.line(name, text)))]
    return p


async def _pump(stream: asyncio.StreamReader, sink) -> None:  # noqa: ANN001
    while True:
        try:
            raw = await stream.readline()
        except ValueError:  # longer than the 1 MiB limit; asyncio already dropped it
            sink("[line too long, dropped]")
            continue
        if not raw:
            return
        sink(raw.decode(errors="replace").rstrip("\r\n"))


async def wait_or_stop(p: Proc, stop: asyncio.Event) -> int | None:
    """Exit code of a one-off step, or None (step stopped) when the user pressed Ctrl-C."""
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([stopper, p.waiter], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not p.waiter.done():
        await stop_all([p])
        return None
    await drain(p)
    return p.waiter.result()


async def drain(p: Proc) -> None:
    """Let the output pumps reach EOF (a grandchild may hold the pipe: give up after 2 s)."""
    _, pending = await asyncio.wait(p.pumps, timeout=2) if p.pumps else (set(), set())
    for task in pending:
        task.cancel()


async def stop_all(procs: list[Proc]) -> None:
    """SIGTERM every service, SIGKILL what is left of its process group once it exited or after
    STOP_GRACE seconds. Only the service is asked, as Kubernetes asks only a container's first
    process: it stops its own children in order (rendering closes Chromium and Playwright's
    driver); signalled together, the driver died under a shutdown still talking to it."""
    alive = [p for p in procs if not p.waiter.done()]
    for p in alive:
        _signal(p, signal.SIGTERM)
    if alive:
        await asyncio.wait([p.waiter for p in alive], timeout=STOP_GRACE)
    for p in alive:
        if not p.waiter.done():
            say(f"{p.name} did not stop within {STOP_GRACE:.0f}s; killing it")
        _signal_group(p, signal.SIGKILL)  # whatever the service left behind
        await p.waiter
    for p in procs:
        await drain(p)


def _signal(p: Proc, sig: signal.Signals) -> None:
    try:
        os.kill(p.proc.pid, sig)
    except ProcessLookupError:
        pass


def _signal_group(p: Proc, sig: signal.Signals) -> None:
    try:
        os.killpg(p.proc.pid, sig)  # the whole group: a service's own children too
    except ProcessLookupError:
        pass
