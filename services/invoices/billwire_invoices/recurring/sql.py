"""Queries of the recurring wing: templates (the whole template in `data`, with the columns the
scheduler filters on) and their runs (one row per template and period, the exactly-once key)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts.common import Period
from billwire_shared.contracts.recurring import RecurringInvoice, RecurringRun


def template_of(data: Any) -> RecurringInvoice:
    return msgspec.convert(data, RecurringInvoice, strict=False)


def _stored(template: RecurringInvoice) -> RecurringInvoice:
    return msgspec.structs.replace(template, runs=[])  # runs live in their own table


def insert_template(account_id: UUID, template: RecurringInvoice) -> Statement:
    return (
        "INSERT INTO recurring_invoices (id, account_id, client_id, status, next_run_on, data, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        [template.id, account_id, template.client_id, template.status, template.next_run_on, _stored(template), template.created_at],
    )


def save_template(account_id: UUID, template: RecurringInvoice) -> Statement:
    return (
        "UPDATE recurring_invoices SET client_id = $3, status = $4, next_run_on = $5, data = $6, updated_at = $7"
        " WHERE id = $1 AND account_id = $2",
        [template.id, account_id, template.client_id, template.status, template.next_run_on, _stored(template), template.updated_at],
    )


def delete_template(account_id: UUID, template_id: UUID) -> Statement:
    return "DELETE FROM recurring_invoices WHERE id = $1 AND account_id = $2", [template_id, account_id]


async def get_template(conn: asyncpg.Connection, account_id: UUID, template_id: UUID, *, lock: bool = False) -> RecurringInvoice | None:
    suffix = " FOR UPDATE" if lock else ""
    data = await conn.fetchval(f"SELECT data FROM recurring_invoices WHERE id = $1 AND account_id = $2{suffix}", template_id, account_id)
    return template_of(data) if data else None


async def list_templates(
    conn: asyncpg.Connection, account_id: UUID, status: str | None, client_id: UUID | None, limit: int, offset: int
) -> tuple[list[RecurringInvoice], int]:
    conditions, args = ["account_id = $1"], [account_id]
    for column, value in (("status", status), ("client_id", client_id)):
        if value is not None:
            args.append(value)
            conditions.append(f"{column} = ${len(args)}")
    where = " AND ".join(conditions)
    rows = await conn.fetch(
        f"SELECT data, count(*) OVER () AS total FROM recurring_invoices WHERE {where}"
        f" ORDER BY created_at DESC, id DESC LIMIT {int(limit)} OFFSET {int(offset)}",
        *args,
    )
    total = rows[0]["total"] if rows else await conn.fetchval(f"SELECT count(*) FROM recurring_invoices WHERE {where}", *args)
    return [template_of(row["data"]) for row in rows], total


def _run_of(row: asyncpg.Record) -> RecurringRun:
    return RecurringRun(
        period=Period(start=row["period_start"], end=row["period_end"]), run_on=row["run_on"], document_id=row["document_id"],
        number=row["number"], state=row["state"], failure=row["failure"], attempts=row["attempts"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


async def runs_of(conn: asyncpg.Connection, account_id: UUID, template_id: UUID) -> list[RecurringRun]:
    rows = await conn.fetch(
        "SELECT * FROM recurring_runs WHERE recurring_id = $1 AND account_id = $2 ORDER BY period_start DESC",
        template_id, account_id,
    )
    return [_run_of(row) for row in rows]


async def due_templates(conn: asyncpg.Connection, today: date, batch: int) -> list[asyncpg.Record]:
    """Active templates whose next run day has come, locked for this transaction; rows another
    replica holds are skipped (it is generating them), so each is generated once."""
    return await conn.fetch(
        "SELECT t.account_id, t.data, a.profile FROM recurring_invoices t JOIN accounts a ON a.id = t.account_id"
        " WHERE t.status = 'active' AND t.next_run_on <= $1"
        " ORDER BY t.next_run_on, t.id LIMIT $2 FOR UPDATE OF t SKIP LOCKED",
        today, batch,
    )


async def claim_run(conn: asyncpg.Connection, account_id: UUID, template_id: UUID, run: RecurringRun) -> bool:
    """The period's run row; False when the period has one already (its document exists)."""
    return bool(await conn.fetchval(
        "INSERT INTO recurring_runs (recurring_id, period_start, account_id, period_end, run_on, document_id, state,"
        " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
        " ON CONFLICT (recurring_id, period_start) DO NOTHING RETURNING true",
        template_id, run.period.start, account_id, run.period.end, run.run_on, run.document_id, run.state, run.created_at,
    ))


def save_run(template_id: UUID, run: RecurringRun) -> Statement:
    return (
        "UPDATE recurring_runs SET state = $3, failure = $4, attempts = $5, number = $6, updated_at = $7"
        " WHERE recurring_id = $1 AND period_start = $2",
        [template_id, run.period.start, run.state, run.failure, run.attempts, run.number, run.updated_at],
    )


async def failed_runs(conn: asyncpg.Connection, now: datetime, batch: int) -> list[asyncpg.Record]:
    """Runs whose draft could not be issued or sent, of templates not paused, locked for this
    transaction (skipping those another replica is retrying); each is tried once per tick."""
    return await conn.fetch(
        "SELECT r.*, t.data AS template, a.profile FROM recurring_runs r"
        " JOIN recurring_invoices t ON t.id = r.recurring_id JOIN accounts a ON a.id = r.account_id"
        " WHERE r.state = 'failed' AND r.updated_at < $1 AND t.status <> 'paused'"
        " ORDER BY r.updated_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
        now, batch,
    )


def run_from_row(row: asyncpg.Record) -> RecurringRun:
    return _run_of(row)
