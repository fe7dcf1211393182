"""MCP tools that create, change, find and read documents (REST: controllers/documents.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context

from billwire_gateway.calls import lifecycle as calls
from billwire_gateway.mcp.approvals import ask, held, noting_approval
from billwire_gateway.mcp.arguments import Arguments, Confirm, IdempotencyKey, Paging
from billwire_gateway.mcp.toolbox import IRREVERSIBLE, READ, UPDATE, WRITE, Toolbox, contract, derived
from billwire_shared import subjects
from billwire_shared.contracts.approvals import Approval
from billwire_shared.contracts.clients import ListClients
from billwire_shared.contracts.common import Deleted, Name, Page
from billwire_shared.contracts.documents import (
    CreateDocument,
    Document,
    DocumentById,
    DocumentInput,
    DocumentPatch,
    DocumentState,
    DocumentStatus,
    ListDocuments,
)

_BY_NAME = [("client_name", Name | None, None), ("idempotency_key", IdempotencyKey | None, None)]
NewInvoice = derived("NewInvoice", DocumentInput, without=("type",), extra=_BY_NAME)
NewDocument = derived("NewDocument", DocumentInput, extra=_BY_NAME)


class InvoiceId(Arguments, kw_only=True):
    invoice_id: UUID


class DocumentId(Arguments, kw_only=True):
    document_id: UUID


class InvoiceChanges(InvoiceId, kw_only=True):
    changes: DocumentPatch
    idempotency_key: IdempotencyKey | None = None


class DeleteDraft(DocumentId, kw_only=True):
    confirm: Confirm = False


class InvoiceFilters(Paging, kw_only=True):
    status: DocumentState | None = None
    client_id: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    cursor: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class InvoiceStatus(msgspec.Struct, kw_only=True):
    id: UUID
    number: str | None
    status: DocumentStatus
    states: list[DocumentState]
    issue_date: date | None
    due_date: date | None
    gross: Decimal
    currency: str
    amount_paid: Decimal
    balance_due: Decimal | None
    sent_at: datetime | None
    paid_at: datetime | None
    overdue_at: datetime | None


async def _create(tools: Toolbox, ctx: Context, args: msgspec.Struct, doc_type: str) -> Document:
    """A draft of `doc_type`; the client by id, or by name (an existing client matched by
    name, else a new client snapshot with that name)."""
    client_id, client_name = args.client_id, args.client_name  # type: ignore[attr-defined]
    if client_id is None and client_name and args.client is None:  # type: ignore[attr-defined]
        lookup = lambda k: ListClients(ctx=k, q=client_name, limit=5)  # noqa: E731
        found = await tools.call(ctx, subjects.CLIENT_LIST, lookup, scope="write")
        exact = [x for x in found["items"] if x["name"].casefold() == client_name.casefold()] or found["items"][:1]
        client_id = UUID(exact[0]["id"]) if exact else None
    extra: dict = {"type": doc_type, "client_id": client_id}
    if client_id is None and args.client is None:  # type: ignore[attr-defined]
        extra["client"] = {"name": client_name or ""}
    body = contract(args, DocumentInput, drop=("idempotency_key", "client_name", "type"), **extra)
    command = lambda k: CreateDocument(ctx=k, document=body)  # noqa: E731
    return await tools.call(ctx, subjects.DOCUMENT_CREATE, command, Document, key=args.idempotency_key, scope="write")  # type: ignore[attr-defined]


def register(tools: Toolbox) -> None:
    @tools.tool(WRITE, NewInvoice, Document)
    async def create_invoice(ctx: Context, args: NewInvoice) -> Document:  # type: ignore[valid-type]
        """Create a draft invoice and return it with totals. Lines: description, quantity, unit,
        unit_price, tax_rate (decimal strings or numbers). The client by client_id, by
        client_name (an existing client matched by name, else a new client with that name), or
        inline as `client`. Dates: issue_date and due_date (YYYY-MM-DD) or due_days. `export_type`: pdf, or an e-invoice
        format (factur-x, xrechnung); default: the client's, else the profile's. History from
        another tool: imported=true with its own `number` and issue_date, then finalize_invoice
        (the number series is not touched)."""
        return await _create(tools, ctx, args, "invoice")

    @tools.tool(WRITE, NewDocument, Document)
    async def create_document(ctx: Context, args: NewDocument) -> Document:  # type: ignore[valid-type]
        """Create a draft of any document type: invoice, estimate, credit_note, delivery_note,
        order_confirmation or purchase_order; the same fields as create_invoice."""
        return await _create(tools, ctx, args, args.type)

    @tools.tool(UPDATE, InvoiceChanges, Document)
    async def update_invoice(ctx: Context, args: InvoiceChanges) -> Document:
        """Change a draft invoice (lines, dates, notes...). An issued invoice takes only its status
        fields: sent (true: marked as sent by hand) with sent_date and sent_notes, and custom_status
        {name, date, notes}; a cancelled one only custom_status."""
        return await tools.ask(ctx, calls.UPDATE_DOCUMENT, args.invoice_id, args.changes, "invoice", key=args.idempotency_key, scope="write")

    @tools.tool(IRREVERSIBLE, DeleteDraft, Document, Deleted, Approval)
    @noting_approval
    async def delete_draft(ctx: Context, args: DeleteDraft) -> Document | Deleted | Approval:
        """Delete a draft document of any type (an issued one is never deleted: cancel it).
        Without confirm=true this only shows the draft that would be deleted."""
        if not args.confirm:
            return await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: DocumentById(ctx=k, id=args.document_id), Document, scope="write")
        if held(ctx, "delete"):
            return await ask(tools, ctx, "delete", args.document_id, None)
        return await tools.ask(ctx, calls.DELETE_DOCUMENT, args.document_id, scope="write")

    @tools.tool(READ, InvoiceId, Document)
    async def get_invoice(ctx: Context, args: InvoiceId) -> Document:
        """One invoice with lines, totals, status and balance."""
        return await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: DocumentById(ctx=k, id=args.invoice_id, type="invoice"), Document)

    @tools.tool(READ, DocumentId, Document)
    async def get_document(ctx: Context, args: DocumentId) -> Document:
        """One document of any type (estimate, credit note, delivery note...) with lines and totals."""
        return await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: DocumentById(ctx=k, id=args.document_id), Document)

    @tools.tool(READ, InvoiceFilters, Page[Document])
    async def list_invoices(ctx: Context, args: InvoiceFilters) -> Page[Document]:
        """List invoices; status one of draft, open, paid, cancelled, sent, partially_paid, overdue
        (past the due date and not paid), unpaid; dates (of issue) YYYY-MM-DD."""
        command = lambda k: ListDocuments(ctx=k, type="invoice", **msgspec.structs.asdict(args))  # noqa: E731
        return await tools.call(ctx, subjects.DOCUMENT_LIST, command, Page[Document])

    @tools.tool(READ, Paging, Page[Document])
    async def list_overdue_invoices(ctx: Context, args: Paging) -> Page[Document]:
        """Open invoices past their due date, as of now."""
        command = lambda k: ListDocuments(ctx=k, type="invoice", status="overdue", limit=args.limit, offset=args.offset)  # noqa: E731
        return await tools.call(ctx, subjects.DOCUMENT_LIST, command, Page[Document])

    @tools.tool(READ, InvoiceId, InvoiceStatus)
    async def get_invoice_status(ctx: Context, args: InvoiceId) -> InvoiceStatus:
        """Status, number, totals, amount paid, balance, sent and overdue of one invoice."""
        doc = await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: DocumentById(ctx=k, id=args.invoice_id, type="invoice"), Document)
        fields = {name: getattr(doc, name) for name in InvoiceStatus.__struct_fields__ if name != "gross"}
        return InvoiceStatus(**fields, gross=doc.totals.gross)
