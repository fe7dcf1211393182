"""`billwire doctor`: is everything a running Billwire needs there, and if not, what fixes it.

It checks, from where it runs and with the same settings as the services (or make run's, from
var/servers.env): Postgres and the services' schemas, NATS with JetStream, each service's
readiness (over its health subject on the bus; the gateway over HTTP), Chromium and the
fonts the PDFs use, the SMTP relay (connect, EHLO, NOOP; no mail is sent) and the free disk
space under var/. Every problem is printed with the command that fixes it; the exit code is
1 when there is one, else 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from billwire_cli.env_files import read_env_file
from billwire_cli.local_servers import Origins, without_password

SCHEMAS = ("invoices", "rendering", "mailer")
MAKE_RUN = "start everything with `make run` (or start the service: `uv run python -m billwire_{service}`)"


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def add_command(sub) -> None:
    doctor = sub.add_parser("doctor", help="check Postgres, NATS, the services, Chromium, fonts, SMTP and disk space")
    doctor.add_argument("--timeout", type=float, default=3.0, help="seconds each server has to answer")
    doctor.add_argument("--min-free-gb", type=float, default=1.0, help="free space under var/ below this is a problem")


def run(args, origins: Origins) -> int:
    findings = asyncio.run(examine(origins, args.timeout, args.min_free_gb))
    width = max(len(f.name) for f in findings)
    source = f" (servers from {origins.of('DATABASE_URL')})" if origins.taken else ""
    print(f"billwire doctor{source}")
    for finding in findings:
        print(f"  {'ok  ' if finding.ok else 'FAIL'}  {finding.name:<{width}}  {finding.detail}")
        if finding.fix:
            print(f"  {'':4}  {'':<{width}}  fix: {finding.fix}")
    problems = sum(not f.ok for f in findings)
    print("Everything is in order." if not problems else f"{problems} problem(s) found; see `fix:` above.")
    return 1 if problems else 0


async def examine(origins: Origins, timeout: float, min_free_gb: float) -> list[Finding]:
    from billwire_mailer.app import MailerSettings
    from billwire_rendering.settings import RenderingSettings
    from billwire_shared.settings import load_settings

    mailer = load_settings(MailerSettings)
    rendering = load_settings(RenderingSettings)
    var = origins.file.parent if origins.file else Path("var")
    findings = [await check_postgres(mailer.database_url, origins, timeout)]
    findings += await check_bus(mailer.nats_url, mailer.prefix, origins, timeout)
    findings.append(await asyncio.to_thread(check_gateway, var, timeout))
    findings.append(await check_chromium(rendering.chromium_executable))
    findings.append(check_fonts())
    findings.append(await check_smtp(mailer, timeout))
    findings.append(check_disk(var, min_free_gb))
    return findings


async def check_postgres(url: str, origins: Origins, timeout: float) -> Finding:
    import asyncpg

    shown = without_password(url)
    try:
        conn = await asyncpg.connect(url, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - every way of not getting in is reported the same way
        from billwire_cli.local_servers import unreachable_parts

        return Finding("Postgres", False, *unreachable_parts("database", exc, origins))
    try:
        version = await conn.fetchval("SHOW server_version")
        present = {r[0] for r in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)", list(SCHEMAS))}
    finally:
        await conn.close()
    missing = [schema for schema in SCHEMAS if schema not in present]
    if missing:
        return Finding("Postgres", False, f"{shown}: Postgres {version}, schema(s) {', '.join(missing)} missing",
                       "`uv run billwire migrate` (the services also migrate when they start)")
    return Finding("Postgres", True, f"{shown}: Postgres {version}, schemas {', '.join(SCHEMAS)} there")


async def check_bus(url: str, prefix: str, origins: Origins, timeout: float) -> list[Finding]:
    """NATS and JetStream, then each service's health over the bus."""
    from billwire_cli.local_servers import connect_nats, unreachable_parts
    from billwire_shared.probe import HEALTH_SUBJECTS

    try:
        nc = await connect_nats(url, timeout)
    except Exception as exc:  # noqa: BLE001
        skipped = [Finding(service, False, "not checked: NATS is unreachable") for service in HEALTH_SUBJECTS]
        return [Finding("NATS", False, *unreachable_parts("NATS", exc, origins)), *skipped]
    try:
        try:
            account = await nc.jetstream(timeout=timeout).account_info()
            nats_finding = Finding("NATS", True, f"{without_password(url)}: JetStream on ({account.streams} streams)")
        except Exception as exc:  # noqa: BLE001
            nats_finding = Finding("NATS", False, f"{without_password(url)}: JetStream is off or not answering ({exc})",
                                   "start nats-server with JetStream: `nats-server -js -sd <store dir>`")
        services = await asyncio.gather(*(service_health(nc, service, prefix, timeout) for service in HEALTH_SUBJECTS))
        return [nats_finding, *services]
    finally:
        await nc.close()


async def service_health(nc, service: str, prefix: str, timeout: float) -> Finding:
    import msgspec

    from billwire_shared.contracts.common import HealthReply
    from billwire_shared.probe import HEALTH_SUBJECTS
    from billwire_shared.subjects import Names

    subject = Names(prefix).subject(HEALTH_SUBJECTS[service])
    try:
        msg = await nc.request(subject, b"{}", timeout=timeout)
        reply = msgspec.json.decode(msg.data, type=HealthReply)
    except Exception as exc:  # noqa: BLE001 - no responders, a timeout, an unreadable answer
        return Finding(service, False, f"no answer on {subject} ({type(exc).__name__})", MAKE_RUN.format(service=service))
    if not reply.database:
        return Finding(service, False, f"cannot reach its database (version {reply.version})",
                       "see Postgres above; the service's DATABASE_URL must reach it")
    if not reply.ready:
        fix = "install a Chromium: `make browser`; see Chromium below" if "no browser" in reply.reason else ""
        return Finding(service, False, f"not ready: {reply.reason or 'no reason given'}", fix)
    return Finding(service, True, f"ready (version {reply.version}{'; ' + reply.state if reply.state else ''})")


def check_gateway(var: Path, timeout: float) -> Finding:
    """The gateway's /ready, at BILLWIRE_API_URL or make run's (var/dev-credentials.env)."""
    api = os.environ.get("BILLWIRE_API_URL")
    credentials = var / "dev-credentials.env"
    if not api and credentials.is_file():
        api = read_env_file(credentials).get("BILLWIRE_API_URL")
    base = (api or "http://127.0.0.1:8000").removesuffix("/").removesuffix("/api/v1")
    try:
        with urllib.request.urlopen(f"{base}/ready", timeout=timeout) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 503: not ready; the body says why
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError) as exc:
        return Finding("gateway", False, f"no answer at {base}/ready ({getattr(exc, 'reason', exc)})",
                       "start everything with `make run`, or set BILLWIRE_API_URL to the gateway's address")
    if body.get("ready"):
        return Finding("gateway", True, f"{base}: ready")
    return Finding("gateway", False, f"{base}/ready says not ready (NATS {'up' if body.get('nats') else 'down'})",
                   "see NATS and invoices above")


async def check_chromium(configured: str) -> Finding:
    from billwire_cli.browser_setup import install_hint, missing_font_families
    from billwire_rendering.app import playwright_chromium_path
    from billwire_rendering.chromium import ChromiumNotFound, find_chromium

    try:
        bundled = await playwright_chromium_path()
    except Exception:  # noqa: BLE001 - Playwright's driver could not say: the other places remain
        bundled = None
    try:
        chromium = find_chromium(configured, bundled, install=False)
    except ChromiumNotFound:
        if configured:
            return Finding("Chromium", False, f"BILLWIRE_CHROMIUM_EXECUTABLE={configured!r} is not an executable file",
                           "fix the path, or unset it to use Playwright's or the system's Chromium")
        fix = "`make browser` (as root on Debian/Ubuntu it installs one), or " + install_hint(missing_font_families())
        return Finding("Chromium", False, "none found (Playwright's, /usr/bin/chromium-headless-shell, chromium, ...)", fix)
    try:
        done = await asyncio.to_thread(
            subprocess.run, [chromium.path, "--version"], capture_output=True, text=True, timeout=30, check=False,
        )
        version, failed = (done.stdout or done.stderr).strip().splitlines()[-1:] or [""], done.returncode != 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        version, failed = [str(exc)], True
    if failed:
        return Finding("Chromium", False, f"{chromium.path} does not run: {version[0][:200]}",
                       "reinstall it (`sudo apt-get install --reinstall chromium-headless-shell`) or set "
                       "BILLWIRE_CHROMIUM_EXECUTABLE to a working Chromium")
    return Finding("Chromium", True, f"{chromium.path} ({chromium.origin}): {version[0]}")


def check_fonts() -> Finding:
    from billwire_cli.browser_setup import FONT_PACKAGES, apt_command, missing_font_families

    missing = missing_font_families()
    if missing:
        return Finding("fonts", False, f"missing: {', '.join(missing)} (PDFs fall back to other fonts)",
                       f"`{apt_command([FONT_PACKAGES[family] for family in missing])}` (Debian/Ubuntu)")
    return Finding("fonts", True, ", ".join(FONT_PACKAGES))


async def check_smtp(settings, timeout: float) -> Finding:
    """Connect (TLS and login as configured), EHLO, NOOP, QUIT: no mail."""
    import aiosmtplib

    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username or None,
        password=settings.smtp_password or None, use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls", validate_certs=settings.smtp_validate_certs,
        timeout=timeout, local_hostname=settings.smtp_local_hostname or "localhost",
    )
    try:
        await client.connect()
        await client.ehlo()
        await client.noop()
    except Exception as exc:  # noqa: BLE001 - refused, TLS, login, timeout: the same advice
        return Finding("SMTP", False, f"relay {where}: {type(exc).__name__}: {str(exc).strip()[:200]}",
                       "check BILLWIRE_SMTP_HOST, _PORT, _SECURITY, _USERNAME and _PASSWORD (make run starts a "
                       "local catcher when BILLWIRE_SMTP_HOST is unset)")
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()
    return Finding("SMTP", True, f"relay {where}: EHLO and NOOP answered")


def check_disk(var: Path, min_free_gb: float) -> Finding:
    where = var if var.exists() else Path.cwd()
    usage = shutil.disk_usage(where)
    free_gb = usage.free / 1024**3
    detail = f"{free_gb:.1f} GB free of {usage.total / 1024**3:.1f} GB under {where}"
    if free_gb < min_free_gb:
        return Finding("disk", False, detail + f" (below {min_free_gb:g} GB)",
                       f"free space on that disk (`du -sh {where}/*` shows what var/ holds: Postgres, NATS, mail)")
    return Finding("disk", True, detail)
