"""SQL of accounts: the profile, API keys and the logo. Every query carries the account."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts.accounts import ApiKey, Profile


async def insert_account(conn: asyncpg.Connection, account_id: UUID, name: str, profile: Profile) -> None:
    await conn.execute(
        "INSERT INTO accounts (id, name, profile) VALUES ($1, $2, $3)", account_id, name, msgspec.to_builtins(profile)
    )


async def get_profile(conn: asyncpg.Connection, account_id: UUID) -> Profile:
    data = await conn.fetchval("SELECT profile FROM accounts WHERE id = $1", account_id)
    return msgspec.convert(data or {}, Profile, strict=False)


def save_profile(account_id: UUID, profile: Profile) -> Statement:
    return "UPDATE accounts SET profile = $2, updated_at = now() WHERE id = $1", [account_id, msgspec.to_builtins(profile)]


async def save_logo(conn: asyncpg.Connection, account_id: UUID, media_type: str, data: bytes, sha256: str) -> datetime:
    return await conn.fetchval(
        "INSERT INTO logos (account_id, media_type, data, sha256) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (account_id) DO UPDATE SET media_type = $2, data = $3, sha256 = $4, updated_at = now()"
        " RETURNING updated_at",
        account_id, media_type, data, sha256,
    )


async def get_logo(conn: asyncpg.Connection, account_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT media_type, data, sha256, updated_at FROM logos WHERE account_id = $1", account_id)


async def delete_logo(conn: asyncpg.Connection, account_id: UUID) -> bool:
    return (await conn.execute("DELETE FROM logos WHERE account_id = $1", account_id)).endswith(" 1")


async def insert_api_key(conn: asyncpg.Connection, account_id: UUID, key: ApiKey, key_hash: str) -> None:
    await conn.execute(
        "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, scopes, created_at, requires_approval)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        key.id, account_id, key.name, key.prefix, key_hash, key.scopes, key.created_at, key.requires_approval,
    )


async def count_active_keys(conn: asyncpg.Connection, account_id: UUID) -> int:
    """The account's unrevoked keys, its row locked first so two creations count one after the other."""
    await conn.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", account_id)
    return await conn.fetchval("SELECT count(*) FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL", account_id)


_KEY_COLUMNS = "id, name, prefix, scopes, created_at, revoked_at, requires_approval"


async def list_api_keys(conn: asyncpg.Connection, account_id: UUID) -> list[ApiKey]:
    rows = await conn.fetch(
        f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at", account_id
    )
    return [ApiKey(**dict(r)) for r in rows]


async def revoke_api_key(conn: asyncpg.Connection, account_id: UUID, key_id: UUID) -> ApiKey | None:
    row = await conn.fetchrow(
        f"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND account_id = $2"
        f" RETURNING {_KEY_COLUMNS}",
        key_id, account_id,
    )
    return ApiKey(**dict(row)) if row else None


async def find_active_key(conn: asyncpg.Connection, key_hash: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, account_id, scopes, requires_approval FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", key_hash
    )


async def save_oauth_client(conn: asyncpg.Connection, client_id: str, client_name: str, record: str) -> None:
    await conn.execute(
        "INSERT INTO oauth_clients (client_id, client_name, record) VALUES ($1, $2, $3::text::jsonb)"
        " ON CONFLICT (client_id) DO UPDATE SET client_name = $2, record = $3::text::jsonb",
        client_id, client_name, record,
    )


async def get_oauth_client(conn: asyncpg.Connection, client_id: str) -> str | None:
    return await conn.fetchval("SELECT record::text FROM oauth_clients WHERE client_id = $1", client_id)


async def mark_oauth_key(conn: asyncpg.Connection, key_id: UUID, client_id: str) -> None:
    await conn.execute("UPDATE api_keys SET oauth_client_id = $2 WHERE id = $1", key_id, client_id)
