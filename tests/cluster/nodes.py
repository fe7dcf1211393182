"""The pieces of a one-machine cluster: three JetStream nodes, service replicas as processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from billwire_cli.embedded import free_port, nats_server_binary

LOOPBACK = "127.0.0.1"


def die_with_parent() -> None:
    """In the child before exec: SIGKILL when this test process dies, however it dies (Linux),
    so an interrupted run leaves no replicas or NATS nodes behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Process:
    """A child process this test may stop politely or kill outright (SIGKILL, as a crash)."""

    proc: subprocess.Popen | None
    grace: float = 10.0

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(self.grace)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class NatsNode(Process):
    name: str
    folder: Path
    port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def write_config(self, peers: list[NatsNode]) -> Path:
        routes = ", ".join(f'"nats://{LOOPBACK}:{p.cluster_port}"' for p in peers if p is not self)
        config = self.folder / f"{self.name}.conf"
        (self.folder / self.name).mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'server_name: "{self.name}"\nlisten: "{LOOPBACK}:{self.port}"\nhttp: "{LOOPBACK}:{self.monitor_port}"\n'
            f'jetstream {{ store_dir: "{self.folder / self.name}" }}\n'
            f'cluster {{ name: "billwire"\n listen: "{LOOPBACK}:{self.cluster_port}"\n routes: [{routes}] }}\n'
        )
        return config

    def start(self) -> None:
        log = open(self.folder / f"{self.name}.log", "ab")  # noqa: SIM115 - kept open by the process
        self.proc = subprocess.Popen(
            [nats_server_binary(), "-c", str(self.folder / f"{self.name}.conf")], stdout=log, stderr=log, preexec_fn=die_with_parent
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{self.monitor_port}/healthz?js-enabled-only=true", timeout=1) as r:
                return r.status == 200
        except Exception:
            return False


def start_cluster(folder: Path, size: int = 3, timeout: float = 60.0) -> list[NatsNode]:
    nodes = [NatsNode(f"n{i + 1}", folder) for i in range(size)]
    for node in nodes:
        node.write_config(nodes)
    for node in nodes:
        node.start()
    wait_healthy(nodes, timeout)
    return nodes


def wait_healthy(nodes: list[NatsNode], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(n.healthy() for n in nodes):
        if time.monotonic() > deadline:
            raise RuntimeError("the NATS cluster did not become healthy; logs in " + str(nodes[0].folder))
        time.sleep(0.2)


@dataclass
class Replica(Process):
    """One service process; its output goes to a log file of its own."""

    grace = 20.0

    service: str
    index: int
    env: dict[str, str]
    folder: Path
    proc: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    def start(self) -> None:
        log = open(self.folder / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"billwire_{self.service}"], env=self.env, stdout=log, stderr=log, preexec_fn=die_with_parent
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def service_env(base: dict[str, str], **extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")} | base | extra
