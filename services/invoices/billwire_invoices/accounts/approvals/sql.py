"""SQL of approvals. Every query carries the account, except the expiry sweep over all of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts.approvals import Approval

COLUMNS = (
    "id, action, document_id, state, key_id, preview, expected_total, reason, result, decided_by_user, decided_by_key,"
    " created_at, decided_at, expires_at, command, document_version"
)


def insert_approval(account_id: UUID, approval: Approval, command: Any, version: int, token_hash: str | None) -> Statement:
    return (
        "INSERT INTO approvals (id, account_id, key_id, action, document_id, command, preview, expected_total, document_version,"
        " token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [approval.id, account_id, approval.key_id, approval.action, approval.document_id, msgspec.to_builtins(command),
         msgspec.to_builtins(approval.preview), approval.expected_total, version, token_hash, approval.created_at, approval.expires_at],
    )


def save_decision(account_id: UUID, approval: Approval) -> Statement:
    return (
        "UPDATE approvals SET state = $3, reason = $4, result = $5, decided_by_user = $6, decided_by_key = $7, decided_at = $8,"
        " token_hash = NULL WHERE id = $1 AND account_id = $2",
        [approval.id, account_id, approval.state, approval.reason, msgspec.to_builtins(approval.result), approval.decided_by_user,
         approval.decided_by_key, approval.decided_at],
    )


async def get_approval(conn: asyncpg.Connection, account_id: UUID, approval_id: UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM approvals WHERE id = $1 AND account_id = $2" + (" FOR UPDATE" if lock else ""), approval_id, account_id,
    )


async def by_token(conn: asyncpg.Connection, token_hash: str) -> asyncpg.Record | None:
    """The pending approval a mailed link names (its account comes from the row, the link is the proof)."""
    return await conn.fetchrow("SELECT account_id, id FROM approvals WHERE token_hash = $1 AND state = 'pending'", token_hash)


async def list_approvals(conn: asyncpg.Connection, account_id: UUID, state: str | None, limit: int, offset: int) -> tuple[list, int]:
    where = "account_id = $1 AND ($2::text IS NULL OR state = $2)"
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM approvals WHERE {where} ORDER BY created_at DESC, id LIMIT $3 OFFSET $4", account_id, state, limit, offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM approvals WHERE {where}", account_id, state)
    return list(rows), total


async def key_active(conn: asyncpg.Connection, account_id: UUID, key_id: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT revoked_at IS NULL FROM api_keys WHERE id = $1 AND account_id = $2", key_id, account_id,
    ))


async def due_for_expiry(conn: asyncpg.Connection, now: datetime, limit: int = 500) -> list[asyncpg.Record]:
    """Pending approvals past their time, locked (one sweeper takes each), with their account."""
    return list(await conn.fetch(
        f"SELECT account_id, {COLUMNS} FROM approvals WHERE state = 'pending' AND expires_at <= $1"
        " ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit,
    ))


async def owners_of(conn: asyncpg.Connection, account_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT email, language FROM users WHERE account_id = $1 AND role = 'owner' AND disabled_at IS NULL ORDER BY created_at",
        account_id,
    ))
