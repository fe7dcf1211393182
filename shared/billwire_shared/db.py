"""Postgres wiring: an asyncpg pool that speaks JSON for jsonb columns."""

from __future__ import annotations

import asyncpg
import msgspec


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(
            type_name,
            encoder=lambda value: msgspec.json.encode(value).decode(),
            decoder=msgspec.json.decode,
            schema="pg_catalog",
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pooled connections never change session state (no SET, LISTEN or session locks: the
    migrator and the outbox publisher use connections of their own), so skip the server-side
    RESET ALL round trip on every release; asyncpg still rolls back an open transaction."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 16, **kwargs) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session, **kwargs
    )


async def open_schema_pool(database_url: str, schema: str, **kwargs) -> asyncpg.Pool:
    """A pool whose connections see the service's own schema first."""
    return await create_pool(
        database_url, server_settings={"search_path": schema, "application_name": f"billwire-{schema}"}, **kwargs
    )
