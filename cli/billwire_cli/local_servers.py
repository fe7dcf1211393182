"""Where `make run`'s servers are: `billwire run` writes var/servers.env, every other command reads it.

`make run` starts its own Postgres and NATS (and an SMTP catcher) on ports of its own; a CLI
command run beside it looks for var/servers.env in the working directory and its parents and
takes from it whatever DATABASE_URL, NATS_URL, BILLWIRE_PREFIX and BILLWIRE_SMTP_* the
environment does not set. When a server cannot be reached, `unreachable()` makes the one line
the command prints instead of a traceback: what it tried, where that came from, and the fix.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from billwire_cli.env_files import read_env_file, write_private

FILE_NAME = "servers.env"
SERVER_KEYS = ("DATABASE_URL", "NATS_URL", "BILLWIRE_PREFIX")
SMTP_KEYS = ("BILLWIRE_SMTP_HOST", "BILLWIRE_SMTP_PORT", "BILLWIRE_SMTP_SECURITY")
DEFAULTS = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/billwire", "NATS_URL": "nats://127.0.0.1:4222"}


def write(var: Path, env: Mapping[str, str]) -> Path:
    """var/servers.env with the servers `env` points at (mode 0600: a URL may hold a password)."""
    path = var / FILE_NAME
    lines = ["# Written by `make run` (billwire run): where its servers are. Other `billwire` commands use",
             "# these when DATABASE_URL / NATS_URL are not set. Valid while `make run` is running."]
    lines += [f"{key}={env[key]}" for key in (*SERVER_KEYS, *SMTP_KEYS) if env.get(key)]
    write_private(path, "\n".join(lines) + "\n")
    return path


def find(start: Path | None = None) -> Path | None:
    """var/servers.env in `start` (the working directory) or the nearest parent that has one."""
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        candidate = directory / "var" / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Origins:
    """Where each server setting of this command came from, for the messages."""

    file: Path | None
    taken: frozenset[str]  # keys read from the file

    def of(self, key: str) -> str:
        if key in self.taken:
            return f"from {_show(self.file)}, written by `make run`"
        return key if key in os.environ else f"the default; {key} is not set"


def apply(environ: MutableMapping[str, str] | None = None, start: Path | None = None) -> Origins:
    """Fill what the environment leaves unset from var/servers.env (if there is one)."""
    environ = os.environ if environ is None else environ
    path = find(start)
    if path is None:
        return Origins(None, frozenset())
    try:
        values = read_env_file(path)
    except OSError:
        return Origins(None, frozenset())
    keys = list(SERVER_KEYS) + (list(SMTP_KEYS) if "BILLWIRE_SMTP_HOST" not in environ else [])  # a relay of one's own: all of it
    taken = {key for key in keys if key in values and key not in environ}
    for key in taken:
        environ[key] = values[key]
    return Origins(path, frozenset(taken))


async def connect_nats(url: str, timeout: float = 5.0):  # noqa: ANN201 - nats is imported when used
    """A NATS connection, or the error of the last try (refused, unknown host, ...): two tries,
    not nats-py's endless retrying of a first connection."""
    import asyncio

    import nats

    errors: list[Exception] = []

    async def remember(exc: Exception) -> None:  # instead of nats-py's traceback per try
        errors.append(exc)

    servers = [part.strip() for part in url.split(",") if part.strip()]
    try:
        return await asyncio.wait_for(nats.connect(
            servers, connect_timeout=timeout, allow_reconnect=False, max_reconnect_attempts=1, reconnect_time_wait=0.2,
            error_cb=remember,
        ), 2 * timeout + 1)
    except Exception as exc:
        raise (errors[-1] if errors else exc) from exc


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def _show(path: Path | None) -> str:
    if path is None:
        return "?"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def database_problem(exc: BaseException) -> bool:
    """The database could not be reached or entered (as opposed to a bug or a bad request)."""
    import asyncpg

    entry_errors = (asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError,
                    asyncpg.PostgresConnectionError, asyncpg.ClientCannotConnectError, asyncpg.CannotConnectNowError,
                    asyncpg.TooManyConnectionsError)
    return isinstance(exc, (OSError, TimeoutError, *entry_errors))


def unreachable(server: str, exc: BaseException, origins: Origins) -> str:
    """One line: which server could not be reached at what address, where that address came
    from, and what to do. `server` is "database" or "NATS"."""
    problem, fix = unreachable_parts(server, exc, origins)
    return f"billwire: cannot reach the {server} at {problem}; {fix}."


def unreachable_parts(server: str, exc: BaseException, origins: Origins) -> tuple[str, str]:
    """(address, its origin and the reason; the fix) for `unreachable`."""
    key = "DATABASE_URL" if server == "database" else "NATS_URL"
    url = os.environ.get(key) or DEFAULTS[key]
    if key in origins.taken:
        fix = "is `make run` running? Start it (its servers are found by themselves), or set " + key
    elif server == "database":
        database = urlsplit(url).path.lstrip("/") or "postgres"
        fix = f"start `make run` and run this beside it, or set {key} to a Postgres you run"
        if "does not exist" in str(exc):
            fix += f" (or create the database: `createdb {database}`)"
    else:
        fix = f"start `make run` and run this beside it, or set {key} to a NATS server with JetStream (`nats-server -js`)"
    return f"{without_password(url)} ({origins.of(key)}): {_reason(exc)}", fix
