"""Queries of the users table; the password hash never leaves this module except to be verified."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from billwire_shared.contracts.users import User

_COLUMNS = (
    "id, account_id, email, name, role, language, must_change_password, session_generation,"
    " created_at, disabled_at, last_login_at"
)


def _user(row: asyncpg.Record) -> User:
    return msgspec.convert({key: row[key] for key in User.__struct_fields__}, User)


async def insert(conn: asyncpg.Connection, user: User, password_hash: str) -> None:
    await conn.execute(
        f"INSERT INTO users ({_COLUMNS}, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        user.id, user.account_id, user.email, user.name, user.role, user.language, user.must_change_password,
        user.session_generation, user.created_at, user.disabled_at, user.last_login_at, password_hash,
    )


async def email_taken(conn: asyncpg.Connection, email: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM users WHERE lower(email) = lower($1)", email))


async def by_email_with_hash(conn: asyncpg.Connection, email: str) -> tuple[User, str] | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)", email)
    return None if row is None else (_user(row), row["password_hash"])


async def get(conn: asyncpg.Connection, account_id: UUID, user_id: UUID, *, lock: bool = False) -> User | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM users WHERE account_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""), account_id, user_id
    )
    return None if row is None else _user(row)


async def password_hash_of(conn: asyncpg.Connection, user_id: UUID) -> str:
    return await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)


async def list_for(conn: asyncpg.Connection, account_id: UUID) -> list[User]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM users WHERE account_id = $1 ORDER BY created_at, email", account_id)
    return [_user(row) for row in rows]


def set_password(account_id: UUID, user_id: UUID, password_hash: str, must_change: bool) -> tuple[str, list]:
    """A statement (for repository.apply): the new hash ends every session by bumping the generation."""
    return (
        "UPDATE users SET password_hash = $3, must_change_password = $4, session_generation = session_generation + 1"
        " WHERE account_id = $1 AND id = $2",
        [account_id, user_id, password_hash, must_change],
    )


def disable(account_id: UUID, user_id: UUID) -> tuple[str, list]:
    return (
        "UPDATE users SET disabled_at = now(), session_generation = session_generation + 1 WHERE account_id = $1 AND id = $2",
        [account_id, user_id],
    )


def update_me(account_id: UUID, user_id: UUID, language: str, name: str | None) -> tuple[str, list]:
    return ("UPDATE users SET language = $3, name = $4 WHERE account_id = $1 AND id = $2", [account_id, user_id, language, name])


async def touch_login(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute("UPDATE users SET last_login_at = now() WHERE id = $1", user_id)
