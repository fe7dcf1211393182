"""The total of a document list read from the running counts (migrations 0019, 0023) instead of
counting every matching row, when the list's filters are ones those counts answer exactly: its type, a
plain status, the paid/sent/finalized/cancelled flags and a client (document_counts, and per client
client_document_counts), or invoices that are open, paid, sent or overdue, within an issue date range
or not (document_totals, kept per issue day). Counting rows grows with the account (50,000
documents: tens of ms on every first page); these reads do not. Any other filter (updated_since, a
search, another derived state, dates on other lists, dates or a derived state with a client or a flag)
answers None: the caller counts the rows."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from billwire_shared.contracts.documents import ListDocuments

_VALUE_FILTERS = ("updated_since", "q")
_FLAG_FILTERS = ("paid", "sent", "finalized", "cancelled")

# document_totals holds every open and paid invoice per issue day; these are the list filters'
# rules (documents/sql.py) for invoices in its terms. Overdue: open, and marked overdue by the
# scheduler or past the due date today.
_INVOICES_BY_DAY = {
    "open": "status = 'open'",
    "paid": "status = 'paid'",
    "sent": "status = 'open' AND sent",
    "overdue": "status = 'open' AND (overdue_marked OR due_date < (now() AT TIME ZONE 'UTC')::date)",
}


def known_total(query: ListDocuments, derived_states: Collection[str], args: list[Any]) -> str | None:
    """A scalar query (its arguments appended to `args`, whose $1 is the account) for how many documents
    the list's filters match, or None when the counts cannot tell (a state in `derived_states` is a
    condition on dates and payments, not a status). It is part of the page's statement (documents/sql.py),
    so the count and the page are read in one snapshot and one round trip."""
    if any(getattr(query, name) for name in _VALUE_FILTERS):
        return None
    flags = {name: getattr(query, name) for name in _FLAG_FILTERS if getattr(query, name) is not None}
    by_day = query.type == "invoice" and query.status in _INVOICES_BY_DAY and not (flags or query.client_id)
    if by_day and (query.date_from or query.date_to or query.status in derived_states):
        return _invoices_by_day(query, args)
    if query.date_from or query.date_to or query.status in derived_states:
        return None
    conditions = ["account_id = $1"]
    for column, value in (("client_id", query.client_id), ("type", query.type), ("status", query.status)):
        if value:
            args.append(value)
            conditions.append(f"{column} = ${len(args)}")
    conditions += [name if value else f"NOT {name}" for name, value in flags.items()]
    table = "client_document_counts" if query.client_id else "document_counts"
    return f"SELECT coalesce(sum(documents), 0)::bigint FROM {table} WHERE {' AND '.join(conditions)}"


def _invoices_by_day(query: ListDocuments, args: list[Any]) -> str:
    """Open, paid, sent or overdue invoices, issued within the query's dates if it has any: a sum over
    the account's days (and the few groups of a day), not over its documents."""
    conditions = ["account_id = $1", "type = 'invoice'", _INVOICES_BY_DAY[query.status or ""]]
    for bound, value in ((">=", query.date_from), ("<=", query.date_to)):
        if value:
            args.append(value)
            conditions.append(f"issue_date {bound} ${len(args)}")
    return f"SELECT coalesce(sum(documents), 0)::bigint FROM document_totals WHERE {' AND '.join(conditions)}"
