"""CSV exports streamed page by page from the invoices service: constant memory, any size.

Text a spreadsheet would run as a formula (a cell starting with =, +, -, @, tab or carriage
return: names, numbers, descriptions...) is prefixed with an apostrophe, as OWASP recommends
against CSV injection; amounts are numbers we format, and keep their sign."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec

from billwire_gateway.bus import Bus
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document, ListDocuments
from billwire_shared.contracts.reports import CsvRows, DocumentCsvRow, ExportCsv, LineCsvRow

DOCUMENT_COLUMNS = [
    "id", "type", "number", "status", "issue_date", "due_date", "client_name", "client_number", "client_email",
    "currency", "net", "tax", "gross", "amount_paid", "balance_due", "sent_at", "paid_at", "cancelled_at",
]
LINE_COLUMNS = [
    "document_id", "number", "issue_date", "client_name", "currency", "position", "description", "quantity", "unit",
    "unit_price", "tax_rate", "discount_rate", "net_amount",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralized(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # a fixed decimal point, never an exponent
    if isinstance(value, str):
        return neutralized(value)
    return "" if value is None else value


def document_row(doc: Document) -> list[Any]:
    totals = doc.totals
    values = [
        doc.id, doc.type, doc.number, doc.status, doc.issue_date, doc.due_date, doc.client.name,
        doc.client.client_number, doc.client.email, doc.currency, totals.net, totals.tax, totals.gross,
        doc.amount_paid, doc.balance_due, doc.sent_at, doc.paid_at, doc.cancelled_at,
    ]
    return [_cell(v) for v in values]


def line_rows(doc: Document) -> list[list[Any]]:
    return [
        [_cell(v) for v in (doc.id, doc.number, doc.issue_date, doc.client.name, doc.currency, line.position,
                            line.description, line.quantity, line.unit, line.unit_price, line.tax_rate,
                            line.discount_rate, line.net_amount)]
        for line in doc.lines
    ]


def csv_cells(row: DocumentCsvRow | LineCsvRow) -> list[Any]:
    """An export row's CSV cells: the same as `document_row` / `line_rows` make of the whole document."""
    return [_cell(v) for v in msgspec.structs.astuple(row)]


async def csv_export(bus: Bus, caller: Caller, query: ListDocuments, lines: bool, page_size: int = 500) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(LINE_COLUMNS if lines else DOCUMENT_COLUMNS)
    reply_type = CsvRows[LineCsvRow] if lines else CsvRows[DocumentCsvRow]
    after_created_at = after_id = None
    while True:
        command = ExportCsv(ctx=caller, filters=query, lines=lines, after_created_at=after_created_at, after_id=after_id, limit=page_size)
        page = msgspec.json.decode(await bus.call(subjects.EXPORT_CSV, command), type=reply_type, strict=False)
        writer.writerows(map(csv_cells, page.rows))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page.after_id is None:
            return
        after_created_at, after_id = page.after_created_at, page.after_id
