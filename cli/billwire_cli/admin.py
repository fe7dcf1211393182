"""Operator commands that act on the database directly: migrate, accounts, keys.

They use the invoices service's own code (no other schema is touched), with the same
DATABASE_URL / NATS_URL settings as the services.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

import msgspec

from billwire_cli.local_servers import connect_nats
from billwire_invoices.accounts import sql as accounts_sql
from billwire_invoices.accounts.handlers import create_account, issue_api_key
from billwire_invoices.app import open_pool, run_migrations
from billwire_invoices.settings import InvoicesSettings
from billwire_mailer.app import MIGRATIONS as MAILER_MIGRATIONS
from billwire_rendering.app import MIGRATIONS as RENDERING_MIGRATIONS
from billwire_shared import subjects
from billwire_shared.contracts.common import SCOPES
from billwire_shared.migrate import migrate
from billwire_shared.settings import load_settings
from billwire_shared.subjects import Names


def _settings() -> InvoicesSettings:
    return load_settings(InvoicesSettings)


async def migrate_all() -> None:
    settings = _settings()
    for schema, applied in (
        ("invoices", await run_migrations(settings)),
        ("rendering", await migrate(settings.database_url, "rendering", RENDERING_MIGRATIONS)),
        ("mailer", await migrate(settings.database_url, "mailer", MAILER_MIGRATIONS)),
    ):
        print(f"{schema}: {len(applied)} migration(s) applied" + (f" ({', '.join(applied)})" if applied else ""))


async def _with_pool(work: Callable[..., Awaitable]):
    settings = _settings()
    await run_migrations(settings)
    pool = await open_pool(settings, min_size=1, max_size=2)
    try:
        return await work(pool)
    finally:
        await pool.close()


async def accounts_create(name: str) -> None:
    account_id, key = await _with_pool(lambda pool: create_account(pool, name))
    print(f"Account: {account_id}")
    print(f"API key: {key.key}")


def parse_scopes(text: str) -> list[str]:
    scopes = [scope.strip() for scope in text.split(",") if scope.strip()]
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise SystemExit(f"scopes must be a comma-separated subset of {', '.join(SCOPES)}; got {text!r}")
    return scopes


async def keys_create(account: UUID, name: str, scopes: list[str]) -> None:
    async def work(pool):
        async with pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT true FROM accounts WHERE id = $1", account):
                raise SystemExit(f"no account {account}")
            return await issue_api_key(conn, account, name, scopes)

    key = await _with_pool(work)
    print(f"Key id: {key.id}  scopes: {','.join(key.scopes)}")
    print(f"API key: {key.key}")


async def keys_list(account: UUID) -> None:
    async def work(pool):
        async with pool.acquire() as conn:
            return await accounts_sql.list_api_keys(conn, account)

    for key in await _with_pool(work):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        print(f"{key.id}  {key.prefix}…  {','.join(key.scopes):<28} {state:<24} {key.name}")


async def keys_revoke(account: UUID, key_id: UUID) -> None:
    async def work(pool):
        async with pool.acquire() as conn:
            return await accounts_sql.revoke_api_key(conn, account, key_id)

    if await _with_pool(work) is None:
        raise SystemExit(f"no key {key_id} in account {account}")
    await _broadcast_revocation(key_id)
    print(f"revoked {key_id}")


async def _broadcast_revocation(key_id: UUID) -> None:
    """Tell running gateways at once; if NATS is unreachable their caches expire within seconds."""
    settings = _settings()
    try:
        nc = await connect_nats(settings.nats_url, timeout=2)
    except Exception:
        return
    try:
        await nc.publish(Names(settings.prefix).subject(subjects.API_KEY_REVOKED), msgspec.json.encode({"key_id": str(key_id)}))
        await nc.flush()
    finally:
        await nc.close()


def run(coro: Awaitable) -> int:
    asyncio.run(coro)
    return 0
