"""`billwire run` (what `make run` calls): the whole system on one machine, one command.

Without DATABASE_URL / NATS_URL it starts the embedded Postgres and NATS (data in ./var,
reused on the next run; var/servers.env says where they are, for the other commands), and
without BILLWIRE_SMTP_HOST a local SMTP catcher that keeps every e-mail as var/mail/<n>.eml
(port BILLWIRE_DEV_SMTP_PORT, default 2525), all three at once. It migrates while it starts every
service with its output prefixed by its name and the `small` profile's pools (small_profile.py),
creates a first account (with an owner for the web app) beside them on the first run, waits for
the gateway's /ready, says how long each phase took, waits for every service's first health
answer, and prints the account's API key, the web app's address, e-mail and password, and the
URLs. Ctrl-C stops the services, then the servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from billwire_cli import local_servers, small_profile
from billwire_cli.child_processes import Output, Proc, drain, say, spawn, stop_all, wait_or_stop
from billwire_cli.dev_credentials import CREDENTIALS_FILE, Credentials, banner, secrets_keys, show
from billwire_cli.embedded import (
    EmbeddedNats,
    EmbeddedServerError,
    PortInUseError,
    free_port,
    port_in_use,
)
from billwire_cli.embedded_postgres import EmbeddedPostgres
from billwire_cli.mailcatcher import MailCatcher

SERVICES = [
    ("invoices", "billwire_invoices"),
    ("rendering", "billwire_rendering"),
    ("mailer", "billwire_mailer"),
    ("gateway", "billwire_gateway"),
]
DEV_DATABASE = "billwire"
DEFAULT_PG_PORT = 54329
DEFAULT_NATS_PORT = 42229
DEFAULT_SMTP_PORT = 2525
NATS_MAX_PAYLOAD = 8 * 1024 * 1024  # "a few MB" (DESIGN.md: the bus); the server default is 1 MB
READY_TIMEOUT = 60.0
API_KEY_LINE = re.compile(r"^API key: (bw_\S+)\s*$")
WEB_LINE = re.compile(r"^Web (e-mail|password): (\S+)\s*$")
DEV_OWNER_EMAIL = "owner@billwire.localhost"
ACCOUNT_ARGS = ["-m", "billwire_invoices", "create-account", "--name", "My company", "--owner-email", DEV_OWNER_EMAIL, "--or-recover"]

class DevError(Exception):
    """Something `billwire run` cannot recover from; the message is shown as is."""


def run_dev(argv: Sequence[str] | None = None) -> int:
    """Entry point of `billwire run`; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="billwire run", description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", default="var", help="where local data lives (default: ./var)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="billwire run: %(message)s")
    var = Path(args.var_dir).absolute()
    try:
        return asyncio.run(_run(var))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130


async def _run(var: Path) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    out = Output([name for name, _ in SERVICES] + ["migrate", "account"])
    servers: list[EmbeddedNats | EmbeddedPostgres | MailCatcher] = []
    services: list[Proc] = []
    steps: list[Proc] = []  # one-off commands running beside the services
    started = loop.time()
    try:
        env = await _start_backends(var, servers)
        servers_up = loop.time()
        local_servers.write(var, env)  # where other `billwire` commands find these servers
        mail = _mail_line(env, servers)
        if stop.is_set():
            return 0
        host = os.environ.get("BILLWIRE_HOST", "127.0.0.1")
        port = int(os.environ.get("PORT", "8000"))
        local = _local_host(host)
        env.update(PORT=str(port), BILLWIRE_HOST=host, PYTHONUNBUFFERED="1")
        env["BILLWIRE_SECRETS_KEYS"] = env.get("BILLWIRE_SECRETS_KEYS") or secrets_keys(var)
        if port_in_use(port, local.strip("[]")):
            raise DevError(f"port {port} is already in use by another process; set PORT to another port")

        # The migrations run while the services start (importing their libraries is most of that):
        # the invoices service migrates too, under the same advisory lock, so it finds them done.
        migrate = await spawn(out, "migrate", ["-m", "billwire_invoices", "migrate"], env)
        for name, module in SERVICES:
            services.append(await spawn(out, name, ["-m", module], small_profile.service_env(name, env)))
        code = await wait_or_stop(migrate, stop)
        if code is None:
            return 0
        if code != 0:
            raise DevError(f"migrations failed: `python -m billwire_invoices migrate` exited with code {code}")
        migrated = loop.time()

        path = var / CREDENTIALS_FILE
        first_start = not path.exists()
        if first_start:  # beside the services, not after them: it needs only the migrated schema
            steps.append(await spawn(out, "account", ACCOUNT_ARGS, env, capture=True))
        base = f"http://{local}:{port}"
        if await _wait_ready(f"{base}/ready", services, stop):
            ready = loop.time() - started
            say(f"ready in {ready:.1f} s: the servers started in {servers_up - started:.1f} s, then the gateway and the"
                f" invoices service in {ready - (servers_up - started):.1f} s (the migrations beside them took"
                f" {migrated - servers_up:.1f} s)")
        # Even when stopping: the first account exists once its step ran, and its key is shown only
        # once; without the file the next start would try to create it again.
        credentials = await _created_account(out, steps[0], stop) if first_start else Credentials.read(path)
        credentials.write(path, base)
        await _wait_answering(f"{base}/ready", stop)
        if stop.is_set():
            say("stopping…")
            return 0
        out.write(banner(base, credentials if first_start else None, path, mail))

        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([stopper, *(s.waiter for s in services)], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if stop.is_set():
            say("stopping…")
            return 0
        dead = ", ".join(f"{s.name} (exit code {s.proc.returncode})" for s in services if s.proc.returncode is not None)
        raise DevError(f"service exited unexpectedly: {dead}; stopping everything")
    except PortInUseError as exc:
        hint = {
            "Postgres": "BILLWIRE_DEV_PG_PORT (or DATABASE_URL)", "NATS": "BILLWIRE_DEV_NATS_PORT (or NATS_URL)",
            "SMTP catcher": "BILLWIRE_DEV_SMTP_PORT (or BILLWIRE_SMTP_HOST)",
        }
        which = next((v for k, v in hint.items() if k in str(exc)), "")
        say(f"{exc}" + (f"; set {which}" if which else ""))
        return 1
    except (DevError, EmbeddedServerError) as exc:
        say(str(exc))
        return 1
    finally:  # the signal handlers stay: a second Ctrl-C does not interrupt the clean-up
        await stop_all(steps + services)
        for server in reversed(servers):
            try:
                await asyncio.to_thread(server.stop)
            except EmbeddedServerError as exc:
                say(f"could not stop {type(server).__name__}: {exc}")


async def _start_backends(var: Path, servers: list[EmbeddedNats | EmbeddedPostgres | MailCatcher]) -> dict[str, str]:
    """Embedded Postgres/NATS unless DATABASE_URL/NATS_URL point elsewhere, and the SMTP
    catcher unless BILLWIRE_SMTP_HOST names a relay, started side by side (Postgres' start,
    initdb on the first run, is the long one); returns the env."""
    env = dict(os.environ)
    pg = nats = catcher = None
    if not env.get("DATABASE_URL"):
        pg_port = int(env.get("BILLWIRE_DEV_PG_PORT", DEFAULT_PG_PORT))
        pg = EmbeddedPostgres(var / "postgres", port=pg_port, settings=small_profile.POSTGRES_SETTINGS)
        servers.append(pg)
    if not env.get("NATS_URL"):
        port = int(env.get("BILLWIRE_DEV_NATS_PORT", DEFAULT_NATS_PORT))
        nats = EmbeddedNats(var / "nats", port=port, max_payload=NATS_MAX_PAYLOAD, env=small_profile.nats_env(env))
        servers.append(nats)
    if not env.get("BILLWIRE_SMTP_HOST"):
        catcher = MailCatcher(var / "mail", port=_smtp_port(env))
        servers.append(catcher)
    started = await asyncio.gather(*(asyncio.to_thread(server.start) for server in servers), return_exceptions=True)
    if failed := next((result for result in started if isinstance(result, BaseException)), None):
        raise failed  # the caller stops those that did start
    if pg is not None:
        await asyncio.to_thread(pg.ensure_database, DEV_DATABASE)
        env["DATABASE_URL"] = pg.url_for(DEV_DATABASE)
        say(f"Postgres (embedded, data in {show(pg.data_dir)}): {env['DATABASE_URL']}")
    if nats is not None:
        env["NATS_URL"] = nats.url
        say(f"NATS (embedded, data in {show(nats.store_dir)}): {nats.url}")
    if catcher is not None:
        env.update(BILLWIRE_SMTP_HOST=catcher.host, BILLWIRE_SMTP_PORT=str(catcher.port), BILLWIRE_SMTP_SECURITY="none")
        say(f"SMTP catcher (every e-mail kept in {show(catcher.folder)}/<n>.eml): {catcher.host}:{catcher.port}")
    return env


def _smtp_port(env: dict[str, str]) -> int:
    """BILLWIRE_DEV_SMTP_PORT, or 2525 when free; a busy 2525 (another `make run`?) gets a free port."""
    if "BILLWIRE_DEV_SMTP_PORT" in env:
        return int(env["BILLWIRE_DEV_SMTP_PORT"])
    if port_in_use(DEFAULT_SMTP_PORT):
        port = free_port()
        say(f"port {DEFAULT_SMTP_PORT} is in use; the SMTP catcher listens on {port} instead")
        return port
    return DEFAULT_SMTP_PORT


def _mail_line(env: dict[str, str], servers: list) -> str:
    catcher = next((s for s in servers if isinstance(s, MailCatcher)), None)
    if catcher is not None:
        return f"  Mail: {show(catcher.folder)}/ (local SMTP catcher on {catcher.host}:{catcher.port}; nothing leaves this machine)"
    return f"  Mail: sent through {env['BILLWIRE_SMTP_HOST']}:{env.get('BILLWIRE_SMTP_PORT', '2525')}"


async def _wait_ready(url: str, services: list[Proc], stop: asyncio.Event) -> bool:
    """True once `url` answers 200; False when stopped first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while not stop.is_set():
        dead = [s for s in services if s.waiter.done()]
        if dead:
            names = ", ".join(f"{s.name} (exit code {s.proc.returncode})" for s in dead)
            raise DevError(f"service exited before the gateway was ready: {names}")
        if await asyncio.to_thread(_http_ok, url):
            return True
        if loop.time() > deadline:
            raise DevError(f"the gateway did not answer {url} with 200 within {READY_TIMEOUT:.0f}s")
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except TimeoutError:
            pass
    return False


async def _wait_answering(url: str, stop: asyncio.Event) -> None:
    """Until every service answers the health check that /ready makes (rendering and the mailer,
    which do not gate /ready, too: the banner promises a running system), READY_TIMEOUT at most."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while not stop.is_set() and loop.time() < deadline:
        if await asyncio.to_thread(_all_answer, url):
            return
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except TimeoutError:
            pass


def _all_answer(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            services = json.loads(resp.read()).get("services") or {}
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return all(reply is not None for reply in services.values())


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


async def _created_account(out: Output, step: Proc, stop: asyncio.Event) -> Credentials:
    """The first account's key and sign-in, once its step ends (a Ctrl-C meanwhile waits for it)."""
    if stop.is_set() and not step.waiter.done():
        say("saving the first account's key before stopping…")
    try:
        code = await asyncio.wait_for(asyncio.shield(step.waiter), READY_TIMEOUT)
    except TimeoutError:
        raise DevError(f"creating the first account did not finish within {READY_TIMEOUT:.0f}s") from None
    await drain(step)
    keys = [m.group(1) for line in step.stdout if (m := API_KEY_LINE.match(line))]
    web = dict(m.groups() for line in step.stdout if (m := WEB_LINE.match(line)))
    if code != 0 or len(keys) != 1 or len(web) != 2:
        for line in step.stdout:
            out.line("account", line)
        raise DevError(
            "creating the first account failed: `python -m billwire_invoices create-account` "
            f"exited with code {code} and printed {len(keys)} `API key: bw_...` line(s) and {len(web)} `Web ...:` lines,"
            " expected 1 and 2"
        )
    return Credentials(api_key=keys[0], web_email=web["e-mail"], web_password=web["password"])


def _local_host(host: str) -> str:
    """Host to reach the gateway on from this machine (a wildcard bind means loopback)."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
