"""MCP tools of figures and exports (REST: controllers/reports.py, and the CSV export of
controllers/documents.py)."""

from __future__ import annotations

import msgspec
from mcp.server.mcpserver import Context

from billwire_gateway.mcp.toolbox import READ, Result, Toolbox, decode
from billwire_shared import subjects
from billwire_shared.contracts.reports import GetStats


def register(tools: Toolbox) -> None:
    @tools.tool(READ)
    async def get_invoice_stats(ctx: Context, period: str = "month", date_from: str | None = None, date_to: str | None = None) -> Result:
        """Invoiced, paid, outstanding and overdue per period (day, week, month, quarter, year) and currency, and top clients."""
        query = decode({"ctx": None, "period": period, "date_from": date_from, "date_to": date_to}, GetStats, "stats", ctx_free=True)
        return await tools.result(ctx, subjects.STATS_GET, lambda k: msgspec.structs.replace(query, ctx=k))

    @tools.tool(READ)
    async def export_invoices(ctx: Context, status: str | None = None, lines: bool = False) -> Result:
        """Where to download invoices as CSV (GET with the same API key); filters as query parameters."""
        query = "&".join(p for p in (f"status={status}" if status else "", "lines=true" if lines else "") if p)
        return {"result": {"url": "/api/v1/invoices/export" + (f"?{query}" if query else ""), "media_type": "text/csv"}}
