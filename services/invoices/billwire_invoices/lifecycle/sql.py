"""SQL for payments and sends (the documents' own SQL is in documents/sql.py)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts.lifecycle import MoneyMovement, Payment, Refund, SendInfo
from billwire_shared.contracts.mail import SendRequest

_MOVEMENT = "id, document_id, amount, date, method, reference, created_at"
Movement = TypeVar("Movement", bound=MoneyMovement)


async def _movements_of(
    conn: asyncpg.Connection, table: Literal["payments", "refunds"], kind: type[Movement], account_id: UUID, document_id: UUID,
) -> list[Movement]:
    rows = await conn.fetch(
        f"SELECT {_MOVEMENT} FROM {table} WHERE account_id = $1 AND document_id = $2 ORDER BY date, created_at",
        account_id, document_id,
    )
    return [kind(**dict(r)) for r in rows]


def _insert_movement(table: Literal["payments", "refunds"], account_id: UUID, movement: MoneyMovement) -> Statement:
    return (
        f"INSERT INTO {table} (id, account_id, document_id, amount, date, method, reference, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [movement.id, account_id, movement.document_id, movement.amount, movement.date, movement.method,
         movement.reference, movement.created_at],
    )


async def payments_of(conn: asyncpg.Connection, account_id: UUID, document_id: UUID) -> list[Payment]:
    return await _movements_of(conn, "payments", Payment, account_id, document_id)


def insert_payment(account_id: UUID, payment: Payment) -> Statement:
    return _insert_movement("payments", account_id, payment)


async def delete_payments(conn: asyncpg.Connection, account_id: UUID, document_id: UUID, payment_id: UUID | None) -> int:
    status = await conn.execute(
        "DELETE FROM payments WHERE account_id = $1 AND document_id = $2 AND ($3::uuid IS NULL OR id = $3)",
        account_id, document_id, payment_id,
    )
    return int(status.split()[-1])


async def refunds_of(conn: asyncpg.Connection, account_id: UUID, document_id: UUID) -> list[Refund]:
    return await _movements_of(conn, "refunds", Refund, account_id, document_id)


def insert_refund(account_id: UUID, refund: Refund) -> Statement:
    return _insert_movement("refunds", account_id, refund)


def insert_send(account_id: UUID, request: SendRequest, state: str) -> Statement:
    return (
        "INSERT INTO sends (id, account_id, document_id, version, state, request, requested_at, updated_at, reminder_level)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        [request.id, account_id, request.document_id, request.version, state, msgspec.to_builtins(request),
         request.requested_at, request.reminder_level],
    )


async def set_send_state(
    conn: asyncpg.Connection, send_id: UUID, state: str, reason: str | None, *, with_document: bool = False
) -> asyncpg.Record | None:
    """Move a send to `state` unless it is already there; the row as it was, or None. With
    `with_document`, the row also carries its document's `data`, locked, in the same round trip."""
    update = (
        "UPDATE sends SET state = $2, reason = $3, updated_at = now() WHERE id = $1 AND state <> $2"
        " RETURNING account_id, document_id, version, reminder_level"
    )
    if with_document:
        update = (
            f"WITH moved AS ({update}) SELECT moved.*, d.data FROM moved"
            " JOIN documents d ON d.id = moved.document_id AND d.account_id = moved.account_id FOR UPDATE OF d"
        )
    return await conn.fetchrow(update, send_id, state, reason)


def queued_send_info(request: SendRequest) -> SendInfo:
    """What `insert_send(..., "queued")` stored, read back without a round trip."""
    return send_info(request, "queued", None, request.requested_at)


def _send_info(row: Any) -> SendInfo:
    return send_info(msgspec.convert(row["request"], SendRequest, strict=False), row["state"], row["reason"], row["updated_at"])


def send_info(request: SendRequest, state: str, reason: str | None, updated_at: Any) -> SendInfo:
    """A send as listed: the stored request (its row's id, document, version and level come from it) and its state."""
    return SendInfo(
        id=request.id, document_id=request.document_id, version=request.version, state=state, to=request.to,
        cc=request.cc, subject=request.subject, reason=reason, requested_at=request.requested_at, updated_at=updated_at,
        kind="reminder" if request.reminder_level else "document", reminder_level=request.reminder_level,
    )


_SEND = "id, document_id, version, state, request, reason, requested_at, updated_at, reminder_level"


async def get_send(conn: asyncpg.Connection, account_id: UUID, send_id: UUID) -> SendInfo | None:
    row = await conn.fetchrow(f"SELECT {_SEND} FROM sends WHERE account_id = $1 AND id = $2", account_id, send_id)
    return _send_info(row) if row else None


async def sends_of(conn: asyncpg.Connection, account_id: UUID, document_id: UUID) -> list[SendInfo]:
    rows = await conn.fetch(
        f"SELECT {_SEND} FROM sends WHERE account_id = $1 AND document_id = $2 ORDER BY requested_at", account_id, document_id
    )
    return [_send_info(r) for r in rows]


async def overdue_candidates(conn: asyncpg.Connection, today: date, limit: int) -> list[asyncpg.Record]:
    """Open invoices past due and not yet marked, locked; another replica skips them."""
    return await conn.fetch(
        "SELECT account_id, data FROM documents WHERE type = 'invoice' AND status = 'open' AND overdue_at IS NULL AND due_date < $1"
        " ORDER BY due_date LIMIT $2 FOR UPDATE SKIP LOCKED",
        today, limit,
    )


async def peek_in_series(conn: asyncpg.Connection, account_id: UUID, doc_type: str, period: int) -> int:
    """The number the next document of a series would take, read without taking or locking it."""
    last = await conn.fetchval(
        "SELECT last_value FROM number_series WHERE account_id = $1 AND document_type = $2 AND period = $3",
        account_id, doc_type, period,
    )
    return (last or 0) + 1
