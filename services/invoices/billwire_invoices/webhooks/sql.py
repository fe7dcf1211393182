"""SQL of webhooks and their deliveries. Every query of the API carries the account; the
delivery worker's claim is the one query across accounts (it works the whole queue)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts import webhooks as webhook_contracts
from billwire_shared.ids import new_id

_HOOK = "id, url, events, description, secret_prefix, created_at"


def _hook(row: asyncpg.Record) -> webhook_contracts.Webhook:
    return webhook_contracts.Webhook(**dict(row))


def insert_webhook(account_id: UUID, hook: webhook_contracts.NewWebhook, sealed_secret: str) -> Statement:
    """`sealed_secret` is the secret as stored (encrypted: see sealing.py), never `hook.secret`."""
    return (
        "INSERT INTO webhooks (id, account_id, url, events, description, secret, secret_prefix, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [hook.id, account_id, hook.url, hook.events, hook.description, sealed_secret, hook.secret_prefix, hook.created_at],
    )


def delete_webhook(account_id: UUID, webhook_id: UUID) -> Statement:
    return "DELETE FROM webhooks WHERE id = $1 AND account_id = $2", [webhook_id, account_id]


async def count_webhooks(conn: asyncpg.Connection, account_id: UUID) -> int:
    # Serialise creates of one account, so the limit holds under concurrent requests.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::text, 0))", str(account_id))
    return await conn.fetchval("SELECT count(*) FROM webhooks WHERE account_id = $1", account_id)


async def list_webhooks(conn: asyncpg.Connection, account_id: UUID) -> list[webhook_contracts.Webhook]:
    rows = await conn.fetch(f"SELECT {_HOOK} FROM webhooks WHERE account_id = $1 ORDER BY created_at, id", account_id)
    return [_hook(row) for row in rows]


async def get_webhook(conn: asyncpg.Connection, account_id: UUID, webhook_id: UUID, *, lock: bool = False) -> webhook_contracts.Webhook | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_HOOK} FROM webhooks WHERE id = $1 AND account_id = $2{suffix}", webhook_id, account_id)
    return _hook(row) if row else None


# -- deliveries ---------------------------------------------------------------------------------


async def queue_deliveries(
    conn: asyncpg.Connection, account_id: UUID, event_id: UUID, event_type: str, occurred_at: datetime,
    filters: list[str], payload: bytes,
) -> int:
    """One pending delivery per matching webhook; a redelivered event adds none (unique key).
    Webhooks created after the event happened do not receive it."""
    hooks = await conn.fetch(
        "SELECT id FROM webhooks WHERE account_id = $1 AND events && $2::text[] AND created_at <= $3",
        account_id, filters, occurred_at,
    )
    if not hooks:
        return 0
    status = await conn.execute(
        "INSERT INTO webhook_deliveries (id, webhook_id, account_id, event_id, event_type, payload, next_attempt_at)"
        " SELECT d, h, $3, $4, $5, $6, now() FROM unnest($1::uuid[], $2::uuid[]) AS t(d, h)"
        " ON CONFLICT (webhook_id, event_id) DO NOTHING",
        [new_id() for _ in hooks], [row["id"] for row in hooks], account_id, event_id, event_type, payload,
    )
    return int(status.split()[-1])


async def claim_due(conn: asyncpg.Connection, limit: int, lease: timedelta) -> list[asyncpg.Record]:
    """Take up to `limit` due deliveries for one attempt each. SKIP LOCKED keeps replicas off
    each other's rows; the claim pushes `next_attempt_at` out by `lease`, so no one else takes
    them while the attempt runs (and someone does if this replica dies mid-attempt)."""
    return await conn.fetch(
        "WITH due AS (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= now()"
        "   ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + $2::interval, updated_at = now()"
        " FROM due, webhooks h WHERE d.id = due.id AND h.id = d.webhook_id"
        " RETURNING d.id, d.event_type, d.payload, d.attempts, h.url, h.secret",
        limit, lease,
    )


async def record_attempt(
    conn: asyncpg.Connection, delivery_id: UUID, attempt: int, at: datetime, duration_ms: int,
    status: int | None, error: str | None, retry_in: float | None,
) -> bool:
    """The outcome of claimed attempt `attempt`: delivered, pending again, or failed for good.
    An outcome whose claim was taken over (lease ran out) changes nothing."""
    if error is None:
        state, next_at = "delivered", "NULL"
    elif retry_in is not None:
        state, next_at = "pending", "now() + make_interval(secs => $7)"
    else:
        state, next_at = "failed", "NULL"
    args: list[Any] = [delivery_id, attempt, at, duration_ms, status, error]
    if retry_in is not None and error is not None:
        args.append(retry_in)
    row = await conn.fetchrow(
        f"WITH done AS (UPDATE webhook_deliveries SET state = '{state}', next_attempt_at = {next_at},"
        " last_status = $5, last_error = $6, updated_at = now(),"
        f" delivered_at = {'now()' if state == 'delivered' else 'NULL'}"
        " WHERE id = $1 AND attempts = $2 AND state = 'pending' RETURNING id)"
        " INSERT INTO webhook_attempts (delivery_id, attempt, at, duration_ms, status, error)"
        " SELECT id, $2, $3, $4, $5, $6 FROM done RETURNING delivery_id",
        *args,
    )
    return row is not None


async def list_deliveries(conn: asyncpg.Connection, account_id: UUID, query: webhook_contracts.ListDeliveries) -> tuple[list[webhook_contracts.WebhookDelivery], int]:
    where, args = "webhook_id = $1 AND account_id = $2", [query.id, account_id]
    if query.state:
        args.append(query.state)
        where += f" AND state = ${len(args)}"
    total = await conn.fetchval(f"SELECT count(*) FROM webhook_deliveries WHERE {where}", *args)
    rows = await conn.fetch(
        "SELECT d.id, d.webhook_id, d.event_id, d.event_type, d.state, d.attempts, d.next_attempt_at, d.last_status,"
        " d.last_error, d.created_at, d.delivered_at, coalesce((SELECT json_agg(json_build_object("
        "   'attempt', a.attempt, 'at', a.at, 'duration_ms', a.duration_ms, 'status', a.status, 'error', a.error)"
        "   ORDER BY a.attempt) FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS history"
        f" FROM webhook_deliveries d WHERE {where} ORDER BY d.created_at DESC, d.id DESC"
        f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args, query.limit, query.offset,
    )
    return [_delivery(row) for row in rows], total


def _delivery(row: asyncpg.Record) -> webhook_contracts.WebhookDelivery:
    values = dict(row)
    history = values.pop("history")
    if isinstance(history, str | bytes):
        history = msgspec.json.decode(history)
    return webhook_contracts.WebhookDelivery(**values, history=msgspec.convert(history, list[webhook_contracts.DeliveryAttempt], strict=False))
