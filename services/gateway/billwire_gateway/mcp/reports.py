"""MCP tools of figures and exports (REST: controllers/reports.py, and the CSV export of
controllers/documents.py): the CSV text itself for up to `mcp_export_max_rows` rows, and the
absolute URL of the whole export."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context

from billwire_gateway.export import DOCUMENT_COLUMNS, LINE_COLUMNS, document_row, line_rows
from billwire_gateway.mcp.arguments import Arguments
from billwire_gateway.mcp.toolbox import READ, Toolbox, base_url, derived
from billwire_shared import subjects
from billwire_shared.contracts.documents import DocumentState, ListDocuments
from billwire_shared.contracts.reports import ExportPage, ExportRows, GetStats, Stats

# The stats command's own fields: the tool asks with exactly what it was given.
StatsArguments = derived(
    "StatsArguments", GetStats, without=("ctx",),
    doc="""A range (date_from, date_to) or one calendar unit: period=month with year and month,
    week with year and ISO week, quarter with year and quarter, year with year, day with day.""",
)


class ExportArguments(Arguments, kw_only=True):
    status: DocumentState | None = None
    client_id: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    lines: bool = False


class CsvExport(msgspec.Struct, kw_only=True):
    url: str  # absolute: the whole export (GET with the same API key)
    media_type: str
    columns: list[str]
    rows: int  # the rows in `csv` (besides the header)
    complete: bool  # false: more rows match than `csv` holds; download the rest from `url`
    csv: str


def register(tools: Toolbox) -> None:
    @tools.tool(READ, StatsArguments, Stats)
    async def get_invoice_stats(ctx: Context, args: StatsArguments) -> Stats:  # type: ignore[valid-type]
        """Invoiced, sent, paid, outstanding, overdue, credited and net revenue per period (day, week,
        month, quarter, year) and currency, and top clients; over a date range or one calendar unit
        (e.g. period=month, year=2025, month=1)."""
        command = lambda k: GetStats(ctx=k, **msgspec.structs.asdict(args))  # noqa: E731
        return await tools.call(ctx, subjects.STATS_GET, command, Stats)

    @tools.tool(READ, ExportArguments, CsvExport)
    async def export_invoices(ctx: Context, args: ExportArguments) -> CsvExport:
        """Invoices as CSV (one row per invoice, or per line with lines=true), filtered by status,
        client and issue date range: the CSV text of the first rows (the gateway's
        mcp_export_max_rows), and the absolute URL of the whole export."""
        limit = tools.settings.mcp_export_max_rows
        filters = {"type": "invoice", "status": args.status, "client_id": args.client_id, "date_from": args.date_from, "date_to": args.date_to}
        command = lambda k: ExportPage(ctx=k, filters=ListDocuments(ctx=k, **filters), limit=min(max(limit, 1), 1000))  # noqa: E731
        page = await tools.call(ctx, subjects.EXPORT_PAGE, command, ExportRows)
        rows = [row for doc in page.items for row in (line_rows(doc) if args.lines else [document_row(doc)])]
        complete = page.last and len(rows) <= limit
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        columns = LINE_COLUMNS if args.lines else DOCUMENT_COLUMNS
        writer.writerow(columns)
        writer.writerows(rows[:limit])
        query = {"status": args.status, "client_id": args.client_id, "from": args.date_from, "to": args.date_to,
                 "lines": "true" if args.lines else None}
        given = urlencode({name: str(value) for name, value in query.items() if value is not None})
        url = f"{base_url(ctx)}/api/v1/invoices/export" + (f"?{given}" if given else "")
        return CsvExport(url=url, media_type="text/csv", columns=columns, rows=min(len(rows), limit), complete=complete,
                         csv=buffer.getvalue())
