"""SQL of the CSV export's rows: Postgres picks the CSV's columns out of each stored document and
writes them as the JSON arrays of `DocumentCsvRow` / `LineCsvRow`, which this service passes on
as they are. Decoding whole documents into structs here, and again in the gateway, cost ~150 µs
per row (issue 24); this costs a few. The values are the stored JSON's own (amounts keep their
text), so the CSV is byte for byte what the documents themselves give.

Each document's JSON is opened once per row (`jsonb_to_record`): every `data->...` of its own
would decompress the whole document again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import sql
from billwire_shared.contracts.reports import CsvRows, ExportCsv

MAX_LINES_PER_PAGE = 5_000  # a page of line rows stays well under the bus's payload limit (~1 MB)

_DOCUMENT_ROW = """
json_build_array(r.id, r.type, r.number, r.status, r.issue_date, r.due_date,
                 r.client->'name', r.client->'client_number', r.client->'email', r.currency,
                 r.totals->'net', r.totals->'tax', r.totals->'gross', coalesce(r.amount_paid, '"0"'), r.balance_due,
                 r.sent_at, r.paid_at, r.cancelled_at)::text
"""
_DOCUMENT_FIELDS = (
    "id jsonb, type jsonb, number jsonb, status jsonb, issue_date jsonb, due_date jsonb, client jsonb, currency jsonb,"
    " totals jsonb, amount_paid jsonb, balance_due jsonb, sent_at jsonb, paid_at jsonb, cancelled_at jsonb"
)
_LINE_ROWS = """
(SELECT string_agg(json_build_array(r.id, r.number, r.issue_date, r.client->'name', r.currency,
                                    line->'position', line->'description', line->'quantity', line->'unit',
                                    line->'unit_price', line->'tax_rate', line->'discount_rate', line->'net_amount')::text,
                   ',' ORDER BY n)
 FROM jsonb_array_elements(r.lines) WITH ORDINALITY AS numbered(line, n))
"""
_LINE_FIELDS = "id jsonb, number jsonb, issue_date jsonb, client jsonb, currency jsonb, lines jsonb"


def _query(cmd: ExportCsv) -> tuple[str, list[Any]]:
    conditions, args = sql.document_filters(msgspec.structs.replace(cmd.filters, ctx=cmd.ctx))
    if cmd.after_created_at is not None and cmd.after_id is not None:
        args += [cmd.after_created_at, cmd.after_id]
        conditions.append(f"(created_at, id) > (${len(args) - 1}, ${len(args)})")
    row, fields = (_LINE_ROWS, _LINE_FIELDS) if cmd.lines else (_DOCUMENT_ROW, _DOCUMENT_FIELDS)
    count = "coalesce(jsonb_array_length(r.lines), 0)" if cmd.lines else "1"
    return (
        f"SELECT page.created_at, page.id, {row} AS rows, {count} AS row_count FROM ("
        f" SELECT created_at, id, data FROM documents WHERE {' AND '.join(conditions)}"
        f" ORDER BY created_at, id LIMIT {int(cmd.limit)}"
        f") AS page, jsonb_to_record(page.data) AS r({fields}) ORDER BY page.created_at, page.id",
        args,
    )


async def page(conn: asyncpg.Connection, cmd: ExportCsv) -> CsvRows[Any]:
    """The rows of up to `cmd.limit` documents after the command's position (fewer documents when
    their lines pass MAX_LINES_PER_PAGE), and where the next page starts."""
    statement, args = _query(cmd)
    found = await conn.fetch(statement, *args)
    parts: list[str] = []
    in_page = 0  # rows in `parts`
    after: tuple[datetime, UUID] | None = None
    for row in found:
        if parts and in_page + row["row_count"] > MAX_LINES_PER_PAGE:
            break
        after = (row["created_at"], row["id"])
        if row["rows"]:
            parts.append(row["rows"])
            in_page += row["row_count"]
    else:
        if len(found) < cmd.limit:
            after = None  # the last page
    rows = msgspec.Raw(("[" + ",".join(parts) + "]").encode())
    return CsvRows(rows=rows, after_created_at=after[0] if after else None, after_id=after[1] if after else None)
