"""A database as it was before a migration, for the tests of what that migration does to rows
stored before it."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec

from billwire_invoices.app import MIGRATIONS
from billwire_shared.migrate import migrate
from tests.servers import fresh_database


@contextlib.asynccontextmanager
async def migrated_up_to(pg_admin_url: str, migration: str, **server_settings: str) -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    """A database of its own with every invoices migration before `migration` applied, and a
    connection to its schema that reads and writes jsonb as the service does; both go at the end."""
    with tempfile.TemporaryDirectory(prefix=f"migrations-before-{migration[:4]}-") as folder:
        earlier = Path(folder)
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.name < migration:
                shutil.copy(path, earlier / path.name)
        async with fresh_database(pg_admin_url) as url:
            await migrate(url, "invoices", earlier)
            conn = await asyncpg.connect(url, server_settings={"search_path": "invoices", **server_settings})
            try:
                await conn.set_type_codec(
                    "jsonb", encoder=lambda v: msgspec.json.encode(v).decode(), decoder=msgspec.json.decode, schema="pg_catalog",
                )
                yield url, conn
            finally:
                await conn.close()


def migrations_from(migration: str) -> list[str]:
    """What upgrading applies: `migration` and every one after it."""
    return [path.name for path in sorted(MIGRATIONS.glob("*.sql")) if path.name >= migration]
