"""Queries of the users table; the password hash never leaves this module except to be verified."""

from __future__ import annotations

from datetime import datetime
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


async def owner_by_email(conn: asyncpg.Connection, email: str) -> User | None:
    """An enabled owner with this e-mail, locked for the rest of the transaction."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower($1) AND role = 'owner' AND disabled_at IS NULL FOR UPDATE", email
    )
    return None if row is None else _user(row)


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


# -- one-time links (invitations and password resets) ----------------------------------------

_LINK_COLUMNS = "id, account_id, purpose, email, role, language, user_id, created_by, created_at, expires_at, used_at, revoked_at"


async def insert_link(
    conn: asyncpg.Connection, *, link_id: UUID, account_id: UUID, purpose: str, token_hash: str, email: str,
    role: str | None, language: str, user_id: UUID | None, created_by: UUID | None, expires_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO user_links (id, account_id, purpose, token_hash, email, role, language, user_id, created_by, expires_at)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_LINK_COLUMNS}",
        link_id, account_id, purpose, token_hash, email, role, language, user_id, created_by, expires_at,
    )


async def link_by_token(conn: asyncpg.Connection, token_hash: str, purpose: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_LINK_COLUMNS} FROM user_links WHERE token_hash = $1 AND purpose = $2" + (" FOR UPDATE" if lock else ""),
        token_hash, purpose,
    )


async def invitations_of(conn: asyncpg.Connection, account_id: UUID, limit: int = 50) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_LINK_COLUMNS} FROM user_links WHERE account_id = $1 AND purpose = 'invite' ORDER BY created_at DESC LIMIT $2",
        account_id, limit,
    )


async def revoke_invitation(conn: asyncpg.Connection, account_id: UUID, link_id: UUID) -> asyncpg.Record | None:
    """The invitation after revoking it (still unused); None when the account has no such invitation."""
    row = await conn.fetchrow(
        f"UPDATE user_links SET revoked_at = coalesce(revoked_at, now()) WHERE account_id = $1 AND id = $2 AND purpose = 'invite'"
        f" AND used_at IS NULL RETURNING {_LINK_COLUMNS}",
        account_id, link_id,
    )
    if row is None:
        row = await conn.fetchrow(
            f"SELECT {_LINK_COLUMNS} FROM user_links WHERE account_id = $1 AND id = $2 AND purpose = 'invite'", account_id, link_id
        )
    return row


async def revoke_resets_of(conn: asyncpg.Connection, user_id: UUID) -> None:
    """Only the newest reset link of a user works: the ones before it end when it is made."""
    await conn.execute(
        "UPDATE user_links SET revoked_at = now() WHERE user_id = $1 AND purpose = 'reset' AND used_at IS NULL AND revoked_at IS NULL",
        user_id,
    )


async def mark_link_used(conn: asyncpg.Connection, link_id: UUID, user_id: UUID) -> None:
    await conn.execute("UPDATE user_links SET used_at = now(), user_id = $2 WHERE id = $1", link_id, user_id)


async def company_name(conn: asyncpg.Connection, account_id: UUID) -> str:
    """How the account calls itself in an e-mail: its profile's company name, else its name."""
    return await conn.fetchval(
        "SELECT coalesce(nullif(profile->>'company_name', ''), name) FROM accounts WHERE id = $1", account_id
    ) or ""
