"""MCP tools that create, change, find and read invoices (REST: controllers/documents.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context

from billwire_gateway.mcp.toolbox import READ, UPDATE, WRITE, Result, Toolbox, decode, given
from billwire_shared import subjects
from billwire_shared.contracts.clients import ListClients
from billwire_shared.contracts.documents import (
    CreateDocument,
    DocumentInput,
    DocumentPatch,
    FinalizeDocument,
    GetDocument,
    ListDocuments,
    UpdateDocument,
)

STATUS_FIELDS = ("id", "number", "status", "issue_date", "due_date", "amount_paid", "balance_due", "sent_at", "paid_at", "overdue_at")


def register(tools: Toolbox) -> None:
    @tools.tool(WRITE)
    async def create_invoice(
        ctx: Context, lines: list[dict[str, Any]], client_id: UUID | None = None, client_name: str | None = None,
        due_days: int | None = None, currency: str | None = None, notes: str | None = None, export_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> Result:
        """Create a draft invoice and return it with totals. Lines: description, quantity, unit,
        unit_price (decimal strings), tax_rate. The client by id, or by name (an existing client
        matched by name, else a new client snapshot with that name). `export_type`: pdf, or an
        e-invoice format (factur-x, xrechnung); default: the client's, else the profile's."""
        if client_id is None and client_name:
            lookup = lambda k: ListClients(ctx=k, q=client_name, limit=5)  # noqa: E731
            found = await tools.call(ctx, subjects.CLIENT_LIST, lookup, scope="write")
            exact = [x for x in found["items"] if x["name"].casefold() == client_name.casefold()] or found["items"][:1]
            client_id = UUID(exact[0]["id"]) if exact else None
        fields = given(lines=lines, due_days=due_days, currency=currency, notes=notes, client_id=client_id, export_type=export_type)
        if client_id is None:
            fields["client"] = {"name": client_name or ""}
        body = decode(fields, DocumentInput, "invoice")
        return await tools.result(
            ctx, subjects.DOCUMENT_CREATE, lambda k: CreateDocument(ctx=k, document=body), key=idempotency_key, scope="write",
        )

    @tools.tool(UPDATE)
    async def update_invoice(ctx: Context, invoice_id: UUID, changes: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Change a draft invoice (lines, dates, notes...). An issued invoice takes only its status fields:
        sent (true: marked as sent by hand) with sent_date and sent_notes, and custom_status {name, date, notes};
        a cancelled one only custom_status."""
        patch = decode(changes, DocumentPatch, "changes")
        return await tools.result(
            ctx, subjects.DOCUMENT_UPDATE, lambda k: UpdateDocument(ctx=k, id=invoice_id, type="invoice", patch=patch),
            key=idempotency_key, scope="write",
        )

    @tools.tool(READ)
    async def get_invoice(ctx: Context, invoice_id: UUID) -> Result:
        """One invoice with lines, totals, status and balance."""
        return await tools.result(ctx, subjects.DOCUMENT_GET, lambda k: GetDocument(ctx=k, id=invoice_id, type="invoice"))

    @tools.tool(READ)
    async def list_invoices(
        ctx: Context, status: str | None = None, client_id: UUID | None = None, date_from: str | None = None,
        date_to: str | None = None, limit: int = 20, offset: int = 0,
    ) -> Result:
        """List invoices; status one of draft, open, paid, cancelled, sent, partially_paid, overdue, unpaid; dates YYYY-MM-DD."""
        query = decode({"ctx": None, "type": "invoice", "status": status, "client_id": client_id, "date_from": date_from,
                        "date_to": date_to, "limit": limit, "offset": offset}, ListDocuments, "filters", ctx_free=True)
        return await tools.result(ctx, subjects.DOCUMENT_LIST, lambda k: msgspec.structs.replace(query, ctx=k))

    @tools.tool(READ)
    async def list_overdue_invoices(ctx: Context, limit: int = 50) -> Result:
        """Open invoices past their due date."""
        return await tools.result(
            ctx, subjects.DOCUMENT_LIST, lambda k: ListDocuments(ctx=k, type="invoice", status="overdue", limit=limit),
        )

    @tools.tool(READ)
    async def get_invoice_status(ctx: Context, invoice_id: UUID) -> Result:
        """Status, number, totals, amount paid, balance, sent and overdue of one invoice."""
        doc = await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: GetDocument(ctx=k, id=invoice_id, type="invoice"))
        return {"result": {name: doc.get(name) for name in STATUS_FIELDS} | {"gross": doc["totals"]["gross"], "currency": doc["currency"]}}

    @tools.tool(WRITE)
    async def import_invoice(
        ctx: Context, number: str, issue_date: str, lines: list[dict[str, Any]], client_id: UUID | None = None,
        client: dict[str, Any] | None = None, due_date: str | None = None, idempotency_key: str | None = None,
    ) -> Result:
        """Bring an invoice issued in another tool over with its own number and issue date (YYYY-MM-DD):
        it is stored and finalized as imported (the number series is not touched; a number the account
        already has for an invoice is refused). Pay it with record_payment if it was paid."""
        body = decode(given(type="invoice", imported=True, number=number, issue_date=issue_date, lines=lines,
                            client_id=client_id, client=client, due_date=due_date), DocumentInput, "invoice")
        draft = await tools.call(ctx, subjects.DOCUMENT_CREATE, lambda k: CreateDocument(ctx=k, document=body),
                                 key=idempotency_key, scope="write")
        key = f"{idempotency_key}:finalize" if idempotency_key else None
        return await tools.result(
            ctx, subjects.DOCUMENT_FINALIZE, lambda k: FinalizeDocument(ctx=k, id=UUID(draft["id"]), type="invoice"), key=key, scope="write",
        )
