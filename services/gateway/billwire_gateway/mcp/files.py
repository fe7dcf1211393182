"""MCP tools that point at a document's files (REST: controllers/files.py)."""

from __future__ import annotations

from uuid import UUID

from mcp.server.mcpserver import Context

from billwire_gateway.mcp.toolbox import READ, Result, Toolbox
from billwire_shared import subjects
from billwire_shared.contracts.documents import GetDocument


def register(tools: Toolbox) -> None:
    @tools.tool(READ)
    async def get_invoice_pdf(ctx: Context, invoice_id: UUID) -> Result:
        """Where to download the invoice's PDF (GET with the same API key)."""
        await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: GetDocument(ctx=k, id=invoice_id, type="invoice"))
        return {"result": {"url": f"/api/v1/invoices/{invoice_id}/pdf", "media_type": "application/pdf"}}
