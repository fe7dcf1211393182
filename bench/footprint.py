"""What the whole `make run` stack costs a small server: memory (PSS) and start-up time.

`uv run python -m bench footprint [--quick]` starts `billwire run` (what `make run` runs after
installing) in a fresh var directory on ports of its own, and reports:
- start-up: seconds from the command to the gateway's `/ready` answering 200, first start (initdb,
  migrations, first account) and second start (the same var directory again);
- idle: the proportional set size (PSS, so pages shared between processes count once in the sum)
  of every process the stack runs, grouped by role, after it has settled, beside a bare Python
  interpreter of the same build (the price of each service's libraries is the difference). As
  `make run` starts it the browser is closed until the first PDF (footprint_browser.py); the
  table also shows the stack right after the load (browser warm) and after the browser's idle
  close, and the first PDF's extra seconds for the launch beside warm ones;
- under load: invoices created, finalized and sent end to end into the SMTP catcher by a few
  concurrent clients (200 with --quick, else 10,000), with the peak total and each role's growth
  (MB per 1,000 sends, a least-squares slope over samples taken every second).
Targets (issue 24): idle total <= 450 MB, under load <= 700 MB, no role growing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from bench.footprint_browser import cold_then_warm, idle_close_seconds, print_latency, wait_for_idle_close
from billwire_cli.embedded import free_port

IDLE_TARGET_MB, LOAD_TARGET_MB = 450, 700
ROLES = [  # first match wins, on the process's command line
    ("gateway", "billwire_gateway"), ("invoices", "billwire_invoices"), ("rendering", "billwire_rendering"),
    ("mailer", "billwire_mailer"), ("chromium", "chrom"), ("chromium", "headless_shell"),
    ("playwright driver", "playwright"), ("playwright driver", "node"), ("postgres", "postgres"),
    ("nats", "nats-server"), ("run + SMTP catcher", "billwire_cli"),
]


def role_of(cmdline: str) -> str:
    return next((role for role, needle in ROLES if needle in cmdline), "other")


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def by_role(roots: list[int]) -> dict[str, tuple[float, int]]:
    """PSS (MB) and process count per role, for the process trees under `roots`."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for pid in {pid for root in roots for pid in descendants(root)}:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if not cmdline.strip():
            continue
        entry = totals[role_of(cmdline)]
        entry[0] += pss_mb(pid)
        entry[1] += 1
    return {role: (mb, int(n)) for role, (mb, n) in totals.items()}


def bare_python_mb() -> float:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(1.0)
        return pss_mb(proc.pid)
    finally:
        proc.kill()
        proc.wait()


class RunningStack:
    """`billwire run` in its own var directory and ports."""

    def __init__(self, var: Path) -> None:
        self.var, self.port = var, free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "BILLWIRE_PREFIX")} | {
            "PORT": str(self.port), "BILLWIRE_DEV_PG_PORT": str(free_port()), "BILLWIRE_DEV_NATS_PORT": str(free_port()),
            "BILLWIRE_DEV_SMTP_PORT": str(free_port()), "NO_COLOR": "1", "BILLWIRE_EMAIL_DAILY_QUOTA": "1000000",
            "BILLWIRE_RATE_LIMIT_PER_MINUTE": "1000000", "BILLWIRE_RATE_LIMIT_PER_ACCOUNT_PER_MINUTE": "1000000",
        }
        self.proc: subprocess.Popen | None = None
        self.log = var.parent / f"{var.name}.log"

    def start(self) -> float:
        """Seconds until /ready answers 200."""
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "billwire_cli.main", "run", "--var-dir", str(self.var)], env=self.env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = started + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"billwire run exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.base}/ready", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"not ready within 180 s; see {self.log}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def key(self, timeout: float = 120) -> str:
        """The first account's key; `billwire run` creates it after /ready (on a busy machine
        that can outlast the settling pause), so wait for the file."""
        path, deadline = self.var / "dev-credentials.env", time.monotonic() + timeout
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        for line in path.read_text().splitlines():
            if line.startswith("BILLWIRE_API_KEY="):
                return line.split("=", 1)[1].strip()
        raise RuntimeError("no BILLWIRE_API_KEY in dev-credentials.env")

    def roots(self) -> list[int]:
        """`billwire run`, and the Postgres it started (pg_ctl detaches it: found by its port)."""
        assert self.proc is not None
        needle = f"-p {self.env['BILLWIRE_DEV_PG_PORT']}"
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if "postgres" in cmdline and needle in cmdline and "pg_ctl" not in cmdline:
                    return [self.proc.pid, int(entry)]
        return [self.proc.pid]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


FAILURES: list[str] = []


async def send_invoices(base: str, key: str, count: int, clients: int = 4) -> int:
    """Create, finalize and send `count` invoices; returns how many sends were accepted."""
    headers = {"Authorization": f"Bearer {key}"}
    done = 0

    async def worker(n: int, http: httpx.AsyncClient) -> None:
        nonlocal done
        for _ in range(n):
            created = await http.post("/api/v1/invoices", json={
                "client": {"name": "Footprint GmbH", "email": "ap@footprint.example",
                           "address": {"street": "Weg 1", "zip": "10115", "city": "Berlin", "country": "DE"}},
                "lines": [{"description": "Consulting", "quantity": "3", "unit_price": "120"}],
            })
            if created.status_code != 201:
                FAILURES.append(f"create {created.status_code}: {created.text[:300]}")
                continue
            sent = await http.post(f"/api/v1/invoices/{created.json()['id']}/send", json={})
            if sent.status_code in (200, 201, 202):
                done += 1
            else:
                FAILURES.append(f"send {sent.status_code}: {sent.text[:300]}")

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        await asyncio.gather(*(worker(count // clients + (i < count % clients), http) for i in range(clients)))
    return done


def slope_mb_per_1000(samples: list[tuple[float, float]]) -> float:
    """Least-squares growth in MB per 1,000 sends, over (sends, MB) samples."""
    if len(samples) < 3 or len({x for x, _ in samples}) < 2:
        return 0.0
    return statistics.linear_regression([x for x, _ in samples], [y for _, y in samples]).slope * 1000


def run(quick: bool = False) -> int:
    sends = 200 if quick else 10_000
    root = Path(tempfile.mkdtemp(prefix="billwire-footprint-"))
    stack = RunningStack(root / "var")
    idle_close, idle_close_source = idle_close_seconds(stack.env, quick)
    closed_idle: dict[str, tuple[float, int]] = {}
    try:
        first = stack.start()
        stack.stop()
        second = stack.start()
        time.sleep(10 if quick else 20)  # settle: warm-ups done, pools at rest
        idle = by_role(stack.roots())
        bare = bare_python_mb()
        key = stack.key()
        profile = httpx.patch(f"{stack.base}/api/v1/settings/profile", headers={"Authorization": f"Bearer {key}"}, json={
            "company_name": "Footprint Bench GmbH", "email": "billing@footprint.example", "vat_id": "DE136695976",
            "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
            "bank": {"account_holder": "Footprint Bench GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
        }, timeout=30)
        profile.raise_for_status()
        since = "closed since, as started" if idle_close > 0 else "warm since start-up: no on-demand launch"
        latency = [(f"after start-up ({since})", *cold_then_warm(stack.base, key))]
        samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
        progress, peak, stop = [0], [0.0], threading.Event()
        role_peaks: dict[str, float] = defaultdict(float)

        def sample() -> None:
            while not stop.wait(1.0):
                now = by_role(stack.roots())
                peak[0] = max(peak[0], sum(mb for mb, _ in now.values()))
                for role, (mb, _) in now.items():
                    samples[role].append((progress[0], mb))
                    role_peaks[role] = max(role_peaks[role], mb)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started, accepted = time.monotonic(), 0
        for batch in range(0, sends, 100):
            accepted += asyncio.run(send_invoices(stack.base, key, min(100, sends - batch)))
            progress[0] = accepted
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        time.sleep(5)  # the last sends' e-mails leave; the browser is still warm
        warm = by_role(stack.roots())

        def browser_running() -> bool:
            return bool({"chromium", "playwright driver"} & by_role(stack.roots()).keys())

        closed_after = wait_for_idle_close(browser_running, idle_close) if idle_close > 0 else None
        if closed_after is not None:
            time.sleep(3)
            closed_idle = by_role(stack.roots())
            latency.append(("after the idle close", *cold_then_warm(stack.base, key)))
        phases = [line.split(": ", 1)[1] for line in stack.log.read_text(errors="replace").splitlines()
                  if line.startswith("billwire run: ready in")]  # each start's own account of its phases
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)

    print("\nfootprint: the `make run` stack (PSS in MB; shared pages counted once)\n")
    print(f"browser: {idle_close_source}; " + (
        f"closed {closed_after:.0f} s after the load" if closed_after is not None else "no idle close measured"))
    print(f"\n| role | processes | idle PSS (as `make run` starts: browser closed) | idle right after the load (browser warm)"
          f" | idle after the browser's idle close | peak PSS under load | beside bare Python ({bare:.0f} MB)"
          " | growth under load, MB / 1,000 sends |")
    print("|---|---|---|---|---|---|---|---|")

    def cell(measured: dict[str, tuple[float, int]], role: str) -> str:
        mb, n = measured.get(role, (0.0, 0))
        return "" if not measured else f"{mb:.0f}" + (f" ({n})" if n != idle.get(role, (0.0, 0))[1] else "")

    roles = idle.keys() | warm.keys() | role_peaks.keys()
    for role in sorted(roles, key=lambda r: (-idle.get(r, (0.0, 0))[0], -warm.get(r, (0.0, 0))[0])):
        mb, n = idle.get(role, (0.0, 0))
        extra = f"+{mb / n - bare:.0f} each" if n and role in ("gateway", "invoices", "rendering", "mailer") else ""
        growth = slope_mb_per_1000(samples[role][len(samples[role]) // 5:])
        print(f"| {role} | {n} | {mb:.0f} | {cell(warm, role)} | {cell(closed_idle, role)} | {role_peaks.get(role, 0.0):.0f}"
              f" | {extra} | {growth:+.1f} |")

    def total(measured: dict[str, tuple[float, int]]) -> str:
        return f"**{sum(mb for mb, _ in measured.values()):.0f}**" if measured else "not measured"

    idle_total = sum(mb for mb, _ in idle.values())
    print(f"| **total** | {sum(n for _, n in idle.values())} | **{idle_total:.0f}** (target <= {IDLE_TARGET_MB})"
          f" | {total(warm)} | {total(closed_idle)} | **{peak[0]:.0f}** (target <= {LOAD_TARGET_MB}; the sum's peak) | | |")
    print("\n(n) after a number: that many processes, where it differs from the idle column's")
    print_latency(latency)
    if FAILURES:
        print(f"\n{len(FAILURES)} requests failed, the first: {FAILURES[0]}")
    print(f"\nunder load: {accepted} of {sends} sends accepted in {elapsed:.0f} s, peak total {peak[0]:.0f} MB"
          f" (target <= {LOAD_TARGET_MB})")
    print(f"start-up until /ready: first start {first:.1f} s (initdb, migrations, first account), second {second:.1f} s"
          " (target <= 10 s)")
    for line in phases:  # a start stopped the moment /ready answered may not have said it
        print(f"  as billwire run tells it: {line}")
    return 0
