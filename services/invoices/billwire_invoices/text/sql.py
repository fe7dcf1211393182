"""SQL for saved prompts and for the client names drafting from text matches against."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts.text import NO_LABEL, LabelCount, ListPrompts, Prompt

_COLUMNS = "id, prompt_text, labels, created_at, updated_at"
MAX_CLIENT_NAMES = 20_000


def _prompt(row: asyncpg.Record) -> Prompt:
    return msgspec.convert(dict(row), Prompt, strict=False)


def insert_prompt(account_id: UUID, prompt: Prompt) -> Statement:
    return (
        "INSERT INTO prompts (id, account_id, prompt_text, labels, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        [prompt.id, account_id, prompt.prompt_text, msgspec.to_builtins(prompt.labels), prompt.created_at],
    )


def update_prompt(account_id: UUID, prompt: Prompt) -> Statement:
    return (
        "UPDATE prompts SET prompt_text = $3, labels = $4, updated_at = $5 WHERE id = $1 AND account_id = $2",
        [prompt.id, account_id, prompt.prompt_text, msgspec.to_builtins(prompt.labels), prompt.updated_at],
    )


async def get_prompt(conn: asyncpg.Connection, account_id: UUID, prompt_id: UUID, *, lock: bool = False) -> Prompt | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM prompts WHERE id = $1 AND account_id = $2{suffix}", prompt_id, account_id)
    return _prompt(row) if row else None


async def list_prompts(conn: asyncpg.Connection, query: ListPrompts) -> tuple[list[Prompt], int]:
    conditions, args = ["account_id = $1"], [query.ctx.account_id]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        conditions.append(sql.replace("?", f"${len(args)}"))

    if query.label == NO_LABEL:
        conditions.append("labels = '[]'::jsonb")
    elif query.label:
        add("labels @> ?", [{"name": query.label}])
    if query.q:
        add("prompt_text ILIKE ?", "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    where = " AND ".join(conditions)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, count(*) OVER () AS total FROM prompts WHERE {where}"
        f" ORDER BY created_at DESC, id DESC LIMIT {int(query.limit)} OFFSET {int(query.offset)}",
        *args,
    )
    total = rows[0]["total"] if rows else await conn.fetchval(f"SELECT count(*) FROM prompts WHERE {where}", *args)
    return [_prompt({k: v for k, v in r.items() if k != "total"}) for r in rows], total  # type: ignore[arg-type]


async def label_counts(conn: asyncpg.Connection, account_id: UUID) -> list[LabelCount]:
    """Each label name once, with how many prompts carry it and its most recent colour."""
    rows = await conn.fetch(
        "SELECT l->>'name' AS name, count(*) AS count,"
        " (array_agg(l->>'color' ORDER BY p.updated_at DESC) FILTER (WHERE l->>'color' IS NOT NULL))[1] AS color"
        " FROM prompts p, jsonb_array_elements(p.labels) l WHERE p.account_id = $1"
        " GROUP BY l->>'name' ORDER BY lower(l->>'name'), l->>'name'",
        account_id,
    )
    return [LabelCount(name=r["name"], color=r["color"], count=r["count"]) for r in rows]


async def client_names(conn: asyncpg.Connection, account_id: UUID) -> list[tuple[UUID, str]]:
    rows = await conn.fetch(
        f"SELECT id, name FROM clients WHERE account_id = $1 ORDER BY updated_at DESC LIMIT {MAX_CLIENT_NAMES}", account_id
    )
    return [(r["id"], r["name"]) for r in rows]


async def earlier_reply(conn: asyncpg.Connection, account_id: UUID, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT fingerprint, reply FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND reply IS NOT NULL", account_id, key
    )
