"""Migrations: several replicas may start at once; each file is applied exactly once."""

from __future__ import annotations

import asyncio

import asyncpg

from billwire_invoices.app import MIGRATIONS
from billwire_shared.migrate import migrate
from tests.servers import fresh_database


async def test_replicas_migrating_at_once_apply_each_file_once(pg_admin_url: str) -> None:
    async with fresh_database(pg_admin_url) as url:
        results = await asyncio.gather(*(migrate(url, "invoices", MIGRATIONS) for _ in range(4)))
        files = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
        assert sorted(sum(results, [])) == files  # all applied, by exactly one of the four
        assert await migrate(url, "invoices", MIGRATIONS) == []
        conn = await asyncpg.connect(url)
        try:
            recorded = [r["name"] for r in await conn.fetch("SELECT name FROM invoices.schema_migrations ORDER BY name")]
            tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'invoices'")}
        finally:
            await conn.close()
        assert recorded == files
        assert {"accounts", "api_keys", "clients", "products", "documents", "number_series", "outbox", "audit_log"} <= tables
