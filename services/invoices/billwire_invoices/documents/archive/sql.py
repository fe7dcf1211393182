"""Keyset pages over payments and the audit log of one account and year.

Both walk an index in order and stop after `limit` rows, so a year of any size is read in
constant memory; the audit entities are passed on as the JSON text Postgres stores. A year ends
where Postgres says (`+ interval '1 year'`): Python has no date after 9999-12-31."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

PAYMENTS = """
SELECT p.id, p.document_id, d.type AS document_type, d.number AS document_number,
       d.data->>'currency' AS currency, p.amount, p.date, p.method, p.reference, p.created_at
FROM payments p JOIN documents d ON d.id = p.document_id AND d.account_id = p.account_id
WHERE p.account_id = $1 AND p.date >= $2 AND p.date < $2::date + interval '1 year'
  AND ($3::date IS NULL OR (p.date, p.id) > ($3, $4::uuid))
ORDER BY p.date, p.id
LIMIT $5
"""

AUDIT = """
SELECT id, at, entity, entity_id, action, key_id, user_id, request_id,
       before::text AS before, after::text AS after
FROM audit_log
WHERE account_id = $1 AND at >= $2 AND at < $2::timestamptz + interval '1 year' AND id > $3
ORDER BY id
LIMIT $4
"""


async def payments(
    conn: asyncpg.Connection, account_id: UUID, year: int, after_date: date | None, after_id: UUID | None, limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(PAYMENTS, account_id, date(year, 1, 1), after_date, after_id, limit)


async def audit(conn: asyncpg.Connection, account_id: UUID, year: int, after_id: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(AUDIT, account_id, datetime(year, 1, 1, tzinfo=UTC), after_id, limit)

