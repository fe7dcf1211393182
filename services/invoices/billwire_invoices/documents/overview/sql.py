"""Read-only queries over documents, payments and the audit log for the overview."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import encoded
from billwire_shared.contracts.users import Activity

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

# The few fields of a changed entity that say which one it was (`seq`: the log's order, newest first,
# for the pages' reads that aggregate these rows into JSON).
ACTIVITY = """
SELECT a.id AS seq, a.entity, a.entity_id, a.action, a.at, a.key_id, k.name AS key_name, a.user_id, u.email AS user_email,
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

# The overview page's reads in one statement (one round trip, one snapshot): the queries above as
# JSON (exact decimal text), the latest activity and the open invoices due first (the list's `date`
# order, as the documents_list_status_date index of migration 0020 holds them). Parameters: $1 the
# account, $2 no entity (all activity), $3 how much activity, $4 paid since, $5 revenue since, $6 how
# many open invoices; the queries above take theirs from $1 and $2 when run alone.
OVERVIEW = f"""
SELECT
  (SELECT json_agg(json_build_array(currency, outstanding, overdue) ORDER BY currency) FROM ({OPEN_BALANCES}) b)::text AS balances,
  (SELECT json_agg(json_build_array(currency, paid) ORDER BY currency) FROM ({PAID_SINCE.replace("$2", "$4")}) p)::text AS paid,
  (SELECT json_agg(json_build_array(month, currency, invoiced) ORDER BY month, currency)
   FROM ({REVENUE_BY_MONTH.replace("$2", "$5")}) r)::text AS revenue,
  (SELECT json_agg(a ORDER BY a.seq DESC) FROM ({ACTIVITY}) a)::text AS activity,
  (SELECT array_agg(o.data ORDER BY o.issue_date, o.id) FROM (
     SELECT data::text AS data, issue_date, id FROM documents WHERE account_id = $1 AND type = 'invoice' AND status = 'open'
     ORDER BY issue_date ASC NULLS LAST, id ASC LIMIT $6) o) AS open_invoices
"""


class OverviewRows(msgspec.Struct, kw_only=True):
    """The overview's reads as decoded from OVERVIEW: per currency (outstanding, overdue), (paid),
    per month and currency (invoiced), the activity, and the open invoices as the JSON their
    `Document`s encode to (encoded.py: kept per stored version, as the documents list sends them)."""

    balances: list[tuple[str, Decimal, Decimal]]
    paid: list[tuple[str, Decimal]]
    revenue: list[tuple[date, str, Decimal]]
    activity: list[Activity]
    open_invoices: list[msgspec.Raw]


async def overview(conn: asyncpg.Connection, account_id: UUID, paid_since: date, revenue_since: date, activity_limit: int,
                   open_invoices_limit: int) -> OverviewRows:
    row = await conn.fetchrow(OVERVIEW, account_id, None, activity_limit, paid_since, revenue_since, open_invoices_limit)
    return OverviewRows(
        balances=_decoded(row["balances"], list[tuple[str, Decimal, Decimal]]), paid=_decoded(row["paid"], list[tuple[str, Decimal]]),
        revenue=_decoded(row["revenue"], list[tuple[date, str, Decimal]]), activity=activity_of(row["activity"]),
        open_invoices=encoded.reply_items(row["open_invoices"] or ()),
    )


def activity_of(text: str | None) -> list[Activity]:
    """Activity rows aggregated by json_agg: their times read in UTC, as asyncpg reads a timestamptz
    (JSON carries the session's time zone offset)."""
    entries = _decoded(text, list[Activity])
    for entry in entries:
        entry.at = entry.at.astimezone(UTC)
    return entries


def _decoded(text: str | None, type_: Any) -> Any:
    """A json_agg's text as `type_`; no rows aggregate to NULL, read as none."""
    return msgspec.json.decode(text, type=type_) if text else []


async def activity(conn: asyncpg.Connection, account_id: UUID, entity_id: UUID | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(ACTIVITY, account_id, entity_id, limit)
