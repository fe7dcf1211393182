"""Plain SQL migrations, applied in file order under an advisory lock.

Each service owns one schema and a folder of `NNNN_name.sql` files. Several replicas may
start at once: the advisory lock makes the second wait, then find nothing left to do.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import asyncpg

log = logging.getLogger("billwire.migrate")


def _lock_id(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"billwire-migrate:{schema}".encode()).digest()[:8], "big", signed=True)


async def migrate(dsn: str, schema: str, folder: Path) -> list[str]:
    """Apply the files of `folder` not yet recorded in `<schema>.schema_migrations`."""
    files = sorted(folder.glob("*.sql"))
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_id(schema))
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations')}
            for path in files:
                if path.name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(f'SET LOCAL search_path TO "{schema}"')
                    await conn.execute(path.read_text())
                    await conn.execute(f'INSERT INTO "{schema}".schema_migrations (name) VALUES ($1)', path.name)
                log.info("applied migration %s.%s", schema, path.name)
                applied_now.append(path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_id(schema))
    finally:
        await conn.close()
    return applied_now
