"""MCP tools that read invoices from plain text (REST: controllers/text.py)."""

from __future__ import annotations

from uuid import UUID

from mcp.server.mcpserver import Context

from billwire_gateway.mcp.toolbox import WRITE, Result, Toolbox, decode, given
from billwire_shared import subjects
from billwire_shared.contracts.text import DraftFromText, FromTextInput


def register(tools: Toolbox) -> None:
    @tools.tool(WRITE)
    async def draft_invoice_from_text(ctx: Context, text: str, client_id: UUID | None = None, dry_run: bool = True,
                                      idempotency_key: str | None = None) -> Result:
        """Draft an invoice from how people write one, in English or German ("10 hours consulting for
        Acme at 150 EUR/h plus 19% VAT, due in 14 days"). With dry_run (the default) nothing is stored;
        the answer lists the parts of the text that were not understood, never a silent guess."""
        body = decode(given(text=text, client_id=client_id, dry_run=dry_run), FromTextInput, "text")
        return await tools.result(
            ctx, subjects.INVOICE_FROM_TEXT, lambda k: DraftFromText(ctx=k, body=body), key=idempotency_key, scope="write",
        )
