"""The total of a document list read from the running counts (migration 0019) instead of counting
every matching row, when the list's filters are ones those counts answer exactly: its type and a
plain status (document_counts), or the overdue invoices (document_totals). Counting rows grows with
the account (50,000 documents: tens of ms on every first page); these reads do not. Any other filter
(a client, dates, a search, a derived state) answers None: the caller counts the rows."""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

from billwire_shared.contracts.documents import ListDocuments

_VALUE_FILTERS = ("client_id", "date_from", "date_to", "updated_since", "q")
_FLAG_FILTERS = ("paid", "sent", "finalized", "cancelled")

# The same rule as the `overdue` list filter (documents/sql.py) for invoices: open, and marked
# overdue by the scheduler or past the due date today.
_OVERDUE_INVOICES = """
SELECT coalesce(sum(documents), 0)::bigint FROM document_totals
WHERE account_id = $1 AND type = 'invoice' AND status = 'open'
  AND (overdue_marked OR due_date < (now() AT TIME ZONE 'UTC')::date)
"""


async def known_total(conn: asyncpg.Connection, query: ListDocuments, derived_states: Collection[str]) -> int | None:
    """How many documents the list's filters match, or None when the counts cannot tell (a state in
    `derived_states` is a condition on dates and payments, not a status)."""
    if any(getattr(query, name) for name in _VALUE_FILTERS) or any(getattr(query, name) is not None for name in _FLAG_FILTERS):
        return None
    if query.status == "overdue" and query.type == "invoice":
        return await conn.fetchval(_OVERDUE_INVOICES, query.ctx.account_id)
    if query.status in derived_states:
        return None
    conditions, args = ["account_id = $1"], [query.ctx.account_id]
    for column, value in (("type", query.type), ("status", query.status)):
        if value:
            args.append(value)
            conditions.append(f"{column} = ${len(args)}")
    return await conn.fetchval(f"SELECT coalesce(sum(documents), 0)::bigint FROM document_counts WHERE {' AND '.join(conditions)}", *args)
