"""Read-only queries over documents, payments and the audit log for the overview."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

# The running totals of migration 0019 (see documents/reports.py), not the documents: the overview
# costs the same at 50,000 documents as at 50.
OPEN_BALANCES = """
SELECT currency,
       coalesce(sum(balance), 0) AS outstanding,
       coalesce(sum(balance) FILTER (WHERE overdue_marked OR due_date < (now() AT TIME ZONE 'UTC')::date), 0) AS overdue
FROM document_totals WHERE account_id = $1 AND type = 'invoice' AND status = 'open'
GROUP BY 1 ORDER BY 1
"""

PAID_SINCE = """
SELECT d.currency, sum(p.amount) AS paid
FROM payments p JOIN documents d ON d.id = p.document_id AND d.account_id = p.account_id
WHERE p.account_id = $1 AND p.date >= $2
GROUP BY 1 ORDER BY 1
"""

REVENUE_BY_MONTH = """
SELECT date_trunc('month', issue_date)::date AS month, currency, sum(gross) AS invoiced
FROM document_totals
WHERE account_id = $1 AND type = 'invoice' AND issue_date >= $2
GROUP BY 1, 2 ORDER BY 1, 2
"""

# The few fields of a changed entity that say which one it was.
ACTIVITY = """
SELECT a.entity, a.entity_id, a.action, a.at, a.key_id, k.name AS key_name, a.user_id, u.email AS user_email,
       jsonb_strip_nulls(jsonb_build_object(
           'number', coalesce(a.after, a.before)->>'number', 'type', coalesce(a.after, a.before)->>'type',
           'name', coalesce(a.after, a.before)->>'name', 'title', coalesce(a.after, a.before)->>'title',
           'client', coalesce(a.after, a.before)->'client'->>'name', 'email', coalesce(a.after, a.before)->>'email',
           'status', coalesce(a.after, a.before)->>'status'
       )) AS summary
FROM audit_log a
LEFT JOIN api_keys k ON k.id = a.key_id AND k.account_id = a.account_id
LEFT JOIN users u ON u.id = a.user_id AND u.account_id = a.account_id
WHERE a.account_id = $1 AND ($2::uuid IS NULL OR a.entity_id = $2)
ORDER BY a.id DESC LIMIT $3
"""


async def open_balances(conn: asyncpg.Connection, account_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(OPEN_BALANCES, account_id)


async def paid_since(conn: asyncpg.Connection, account_id: UUID, since: date) -> list[asyncpg.Record]:
    return await conn.fetch(PAID_SINCE, account_id, since)


async def revenue_by_month(conn: asyncpg.Connection, account_id: UUID, since: date) -> list[asyncpg.Record]:
    return await conn.fetch(REVENUE_BY_MONTH, account_id, since)


async def activity(conn: asyncpg.Connection, account_id: UUID, entity_id: UUID | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(ACTIVITY, account_id, entity_id, limit)
