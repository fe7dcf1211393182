"""Child processes the bench starts: each in its own session, logged to a file, always stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import LOG_DIR, REPO_ROOT
from bench.cpu import running_on


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def failure(self, what: str) -> BenchError:
        code = self.proc.poll()
        state = "is still running" if code is None else f"exited with code {code}"
        return BenchError(f"{self.name} {what}; it {state}. Last lines of {self.log}:\n{tail(self.log)}")


@dataclass
class ProcessGroup:
    """Starts Python modules as children; `stop()` ends them newest first (SIGTERM, then SIGKILL)."""

    label: str
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, *module_args: str, cpus: frozenset[int] | None = None) -> Child:
        """`cpus`: the cores the child and everything it starts may run on (by default the
        calling thread's, as any child)."""
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"{self.label}-{name}.log"
        with open(log, "wb") as fh, running_on(cpus):  # the child inherits this thread's cores
            # Own session: a Ctrl-C reaches only the bench, which then stops us in order.
            proc = subprocess.Popen(
                [sys.executable, "-m", *module_args], cwd=REPO_ROOT, env=self.env,
                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def run(self, name: str, *module_args: str, timeout: float = 120) -> str:
        """Run a module to completion and return its stdout; a failure shows its output."""
        try:
            done = subprocess.run(
                [sys.executable, "-m", *module_args], cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"{name} did not finish within {timeout:.0f}s") from exc
        if done.returncode != 0:
            raise BenchError(f"{name} failed with code {done.returncode}:\n{done.stdout}{done.stderr}")
        return done.stdout

    def stop(self, timeout: float = 15.0) -> None:
        while self.children:
            child = self.children.pop()
            stop_process(child.proc, timeout)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, wait up to `timeout`, then SIGKILL; tolerant of a process already gone."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def wait_http_ok(child: Child, url: str, timeout: float = 60.0) -> None:
    """Poll `url` until it answers 200, failing early (with its log) when `child` exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not child.alive():
            raise child.failure(f"exited before {url} answered 200")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise child.failure(f"did not answer 200 on {url} within {timeout:.0f}s (last: {last})")


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 15) -> tuple[int, bytes]:
    """One POST with a JSON body: (status, response body), also for 4xx/5xx."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def child_env(**values: str) -> dict[str, str]:
    """This process's environment plus `values` (servers read their settings from it)."""
    env = dict(os.environ)
    env.update(values)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
