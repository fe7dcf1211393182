"""The MCP endpoint: the same commands as REST, as tools an agent can drive safely.

Mounted at /api/mcp behind the same bearer keys, scopes and rate limits (the ApiGuard
middleware runs first and leaves the key's identity in the request scope). Stateless
streamable HTTP with JSON responses, so any gateway replica can answer any call.
Irreversible tools (finalize, send, cancel) answer with a preview unless `confirm` is true,
and then require the total the agent expects.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from billwire_gateway.bus import ApiError, Bus
from billwire_shared import __version__
from billwire_shared import subjects as s
from billwire_shared.contracts import clients as c
from billwire_shared.contracts import documents as d
from billwire_shared.contracts import lifecycle as lc
from billwire_shared.contracts import reports as rp
from billwire_shared.contracts import text as tx
from billwire_shared.contracts.accounts import GetProfile, KeyIdentity
from billwire_shared.contracts.common import ById, Caller

READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
UPDATE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
IRREVERSIBLE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False)
SCOPES = {id(READ): "read", id(WRITE): "write", id(UPDATE): "write", id(IRREVERSIBLE): "write"}


class Result(TypedDict):
    """A tool's answer: the result, or for an unconfirmed irreversible tool the preview."""

    result: Any


class BillwireMCP(MCPServer):
    """Lists to each key only the tools its scopes allow."""

    async def _handle_list_tools(self, ctx, params):  # type: ignore[override]
        listed = await super()._handle_list_tools(ctx, params)
        scopes = set(_identity(ctx.request).scopes)
        allowed = [t for t in listed.tools if TOOL_SCOPES.get(t.name, "read") in scopes or "admin" in scopes]
        return listed.model_copy(update={"tools": allowed})


TOOL_SCOPES: dict[str, str] = {}


def _identity(request: Any) -> KeyIdentity:
    identity = (getattr(request, "scope", None) or {}).get("state", {}).get("identity")
    if identity is None:
        raise ToolError("Not authenticated: send an API key as `Authorization: Bearer bw_...`.")
    return identity


def create_mcp(bus: Bus) -> BillwireMCP:
    mcp = BillwireMCP(
        name="billwire", version=__version__,
        instructions="Invoicing for freelancers and small companies: clients, products, invoices, payments, sending.",
    )

    def tool(annotations: ToolAnnotations, scope: str | None = None):
        def register(fn):
            TOOL_SCOPES[fn.__name__] = scope or SCOPES[id(annotations)]
            return mcp.tool(annotations=annotations, structured_output=True)(fn)

        return register

    async def call(ctx: Context, subject: str, build, reply_type: type = Any, key: str | None = None, scope: str = "read") -> Any:
        """One bus call as the key behind this MCP request; errors become tool errors."""
        identity = _identity(ctx.request_context.request)
        if scope not in identity.scopes and "admin" not in identity.scopes:
            raise ToolError(f"Permission denied: this API key lacks the `{scope}` scope.")
        caller = Caller(account_id=identity.account_id, key_id=identity.key_id, request_id=f"mcp-{ctx.request_id}",
                        idempotency_key=key)
        command = build(caller)
        if key:  # the same key with other arguments is refused, as over REST
            command = msgspec.structs.replace(command, ctx=msgspec.structs.replace(caller, fingerprint=_fingerprint(subject, command)))
        try:
            raw = await bus.call(subject, command)
        except ApiError as exc:
            details = "; ".join(f"{d.field}: {d.message}" for d in exc.reply.details)
            raise ToolError(f"{exc.reply.code}: {exc.reply.message}" + (f" ({details})" if details else "")) from exc
        return msgspec.json.decode(raw) if reply_type is Any else msgspec.json.decode(raw, type=reply_type)

    @tool(READ)
    async def list_clients(ctx: Context, query: str | None = None, limit: int = 20, offset: int = 0) -> Result:
        """List the account's clients; `query` searches name, e-mail and client number."""
        return {"result": await call(ctx, s.CLIENT_LIST, lambda k: c.ListClients(ctx=k, q=query, limit=limit, offset=offset))}

    @tool(READ)
    async def get_client(ctx: Context, client_id: UUID) -> Result:
        """One client by id."""
        return {"result": await call(ctx, s.CLIENT_GET, lambda k: ById(ctx=k, id=client_id))}

    @tool(WRITE)
    async def create_client(ctx: Context, client: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Create a client: name (required), email, client_number, address {street, zip, city, country (ISO 2)}, vat_id..."""
        body = _decode(client, c.ClientInput, "client")
        return {"result": await call(ctx, s.CLIENT_CREATE, lambda k: c.CreateClient(ctx=k, client=body), key=idempotency_key, scope="write")}

    @tool(UPDATE)
    async def update_client(ctx: Context, client_id: UUID, changes: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Change some of a client's fields; documents already written keep the old details."""
        patch = _decode(changes, c.ClientPatch, "changes")
        return {"result": await call(ctx, s.CLIENT_UPDATE, lambda k: c.UpdateClient(ctx=k, id=client_id, patch=patch), key=idempotency_key, scope="write")}

    @tool(READ)
    async def list_products(ctx: Context, query: str | None = None, limit: int = 20) -> Result:
        """List products (title, unit, net price, VAT rate); `query` searches title and description."""
        return {"result": await call(ctx, s.PRODUCT_LIST, lambda k: c.ListProducts(ctx=k, q=query, limit=limit))}

    @tool(WRITE)
    async def create_product(ctx: Context, product: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Create a product: title, unit, and net_price or gross_price (as decimal strings), tax_rate."""
        body = _decode(product, c.ProductInput, "product")
        return {"result": await call(ctx, s.PRODUCT_CREATE, lambda k: c.CreateProduct(ctx=k, product=body), key=idempotency_key, scope="write")}

    @tool(WRITE)
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
            found = await call(ctx, s.CLIENT_LIST, lambda k: c.ListClients(ctx=k, q=client_name, limit=5))
            exact = [x for x in found["items"] if x["name"].casefold() == client_name.casefold()] or found["items"][:1]
            client_id = UUID(exact[0]["id"]) if exact else None
        fields = {"lines": lines, "due_days": due_days, "currency": currency, "notes": notes, "client_id": client_id,
                  "export_type": export_type}
        if client_id is None:
            fields["client"] = {"name": client_name or ""}
        body = _decode({k: v for k, v in fields.items() if v is not None}, d.DocumentInput, "invoice")
        return {"result": await call(ctx, s.DOCUMENT_CREATE, lambda k: d.CreateDocument(ctx=k, document=body), key=idempotency_key, scope="write")}

    @tool(UPDATE)
    async def update_invoice(ctx: Context, invoice_id: UUID, changes: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Change a draft invoice (lines, dates, notes...); an issued invoice cannot change."""
        patch = _decode(changes, d.DocumentPatch, "changes")
        command = lambda k: d.UpdateDocument(ctx=k, id=invoice_id, type="invoice", patch=patch)  # noqa: E731
        return {"result": await call(ctx, s.DOCUMENT_UPDATE, command, key=idempotency_key, scope="write")}

    @tool(READ)
    async def get_invoice(ctx: Context, invoice_id: UUID) -> Result:
        """One invoice with lines, totals, status and balance."""
        return {"result": await call(ctx, s.DOCUMENT_GET, lambda k: d.GetDocument(ctx=k, id=invoice_id, type="invoice"))}

    @tool(READ)
    async def list_invoices(
        ctx: Context, status: str | None = None, client_id: UUID | None = None, date_from: str | None = None,
        date_to: str | None = None, limit: int = 20, offset: int = 0,
    ) -> Result:
        """List invoices; status one of draft, open, paid, cancelled, sent, partially_paid, overdue, unpaid; dates YYYY-MM-DD."""
        query = _decode({"ctx": None, "type": "invoice", "status": status, "client_id": client_id, "date_from": date_from,
                         "date_to": date_to, "limit": limit, "offset": offset}, d.ListDocuments, "filters", ctx_free=True)
        return {"result": await call(ctx, s.DOCUMENT_LIST, lambda k: msgspec.structs.replace(query, ctx=k))}

    @tool(READ)
    async def list_overdue_invoices(ctx: Context, limit: int = 50) -> Result:
        """Open invoices past their due date."""
        return {"result": await call(ctx, s.DOCUMENT_LIST, lambda k: d.ListDocuments(ctx=k, type="invoice", status="overdue", limit=limit))}

    @tool(READ)
    async def get_invoice_status(ctx: Context, invoice_id: UUID) -> Result:
        """Status, number, totals, amount paid, balance, sent and overdue of one invoice."""
        doc = await call(ctx, s.DOCUMENT_GET, lambda k: d.GetDocument(ctx=k, id=invoice_id, type="invoice"))
        keys = ("id", "number", "status", "issue_date", "due_date", "amount_paid", "balance_due", "sent_at", "paid_at", "overdue_at")
        return {"result": {k: doc.get(k) for k in keys} | {"gross": doc["totals"]["gross"], "currency": doc["currency"]}}

    async def _guarded(ctx: Context, invoice_id: UUID, confirm: bool, expected_total: str | None, would: str, extra: dict) -> Result | None:
        doc = await call(ctx, s.DOCUMENT_GET, lambda k: d.GetDocument(ctx=k, id=invoice_id))
        total = doc["totals"]["gross"]
        if not confirm:
            details = {"number": doc["number"], "status": doc["status"], "total": total, "currency": doc["currency"]}
            return {"result": {"preview": True, "would": would, "changed": False, "details": details | extra}}
        if expected_total is None or Decimal(expected_total) != Decimal(total):
            raise ToolError(f"expected_total must equal the document's total {total} {doc['currency']}; nothing was changed.")
        return None

    @tool(IRREVERSIBLE)
    async def finalize_invoice(ctx: Context, invoice_id: UUID, confirm: bool = False, expected_total: str | None = None,
                               idempotency_key: str | None = None) -> Result:
        """Issue a draft: it takes the next number and can never change again. Without confirm=true
        this only previews; with it, expected_total must equal the invoice total."""
        if (preview := await _guarded(ctx, invoice_id, confirm, expected_total, "finalize", {})) is not None:
            return preview
        return {"result": await call(ctx, s.DOCUMENT_FINALIZE, lambda k: d.FinalizeDocument(ctx=k, id=invoice_id), key=idempotency_key, scope="write")}

    @tool(IRREVERSIBLE, scope="email:send")
    async def send_invoice(ctx: Context, invoice_id: UUID, recipient: str | None = None, confirm: bool = False,
                           expected_total: str | None = None, idempotency_key: str | None = None) -> Result:
        """E-mail the invoice as PDF (a draft is finalized first). Preview without confirm=true."""
        extra = {"recipient": recipient or "the client's e-mail address"}
        if (preview := await _guarded(ctx, invoice_id, confirm, expected_total, "send", extra)) is not None:
            return preview
        body = lc.SendInput(recipient=recipient)
        return {"result": await call(ctx, s.DOCUMENT_SEND, lambda k: lc.SendDocument(ctx=k, id=invoice_id, body=body), key=idempotency_key, scope="email:send")}

    @tool(IRREVERSIBLE)
    async def cancel_invoice(ctx: Context, invoice_id: UUID, reason: str, confirm: bool = False, expected_total: str | None = None,
                             idempotency_key: str | None = None) -> Result:
        """Cancel an issued invoice with a credit note. Preview without confirm=true."""
        if (preview := await _guarded(ctx, invoice_id, confirm, expected_total, "cancel", {"reason": reason})) is not None:
            return preview
        body = lc.CancelInput(reason=reason)
        return {"result": await call(ctx, s.DOCUMENT_CANCEL, lambda k: lc.CancelDocument(ctx=k, id=invoice_id, body=body), key=idempotency_key, scope="write")}

    @tool(UPDATE)
    async def mark_invoice_paid(ctx: Context, invoice_id: UUID, date: str | None = None, note: str | None = None,
                                idempotency_key: str | None = None) -> Result:
        """Settle the open balance with one payment (date YYYY-MM-DD, today by default; note: e.g. "cash")."""
        body = _decode({k: v for k, v in {"date": date, "note": note}.items() if v is not None}, lc.MarkPaidInput, "payment")
        return {"result": await call(ctx, s.DOCUMENT_MARK_PAID, lambda k: lc.MarkPaid(ctx=k, id=invoice_id, body=body), key=idempotency_key, scope="write")}

    @tool(IRREVERSIBLE)
    async def mark_invoice_unpaid(ctx: Context, invoice_id: UUID, confirm: bool = False, expected_total: str | None = None,
                                  idempotency_key: str | None = None) -> Result:
        """Take back every payment of an invoice (a payment booked by mistake): it is open with its
        whole balance again, and the payments' dates and references are gone. Preview without confirm=true."""
        if (preview := await _guarded(ctx, invoice_id, confirm, expected_total, "remove every payment", {})) is not None:
            return preview
        return {"result": await call(ctx, s.DOCUMENT_MARK_UNPAID, lambda k: lc.ListForDocument(ctx=k, id=invoice_id), key=idempotency_key, scope="write")}

    @tool(WRITE)
    async def duplicate_document(ctx: Context, document_id: UUID, idempotency_key: str | None = None) -> Result:
        """A new draft with the same client and lines as any document (to correct an issued one: cancel it, then send the copy)."""
        return {"result": await call(ctx, s.DOCUMENT_DUPLICATE, lambda k: lc.DuplicateDocument(ctx=k, id=document_id), key=idempotency_key, scope="write")}

    @tool(WRITE)
    async def convert_estimate(ctx: Context, estimate_id: UUID, idempotency_key: str | None = None) -> Result:
        """An invoice draft from an accepted estimate (same client and lines, referring to the estimate)."""
        return {"result": await call(ctx, s.ESTIMATE_CONVERT, lambda k: lc.ListForDocument(ctx=k, id=estimate_id), key=idempotency_key, scope="write")}

    @tool(WRITE)
    async def record_payment(ctx: Context, invoice_id: UUID, amount: str, date: str | None = None, method: str = "bank_transfer",
                             reference: str | None = None, idempotency_key: str | None = None) -> Result:
        """Record a (partial) payment; an overpayment is refused."""
        body = _decode({k: v for k, v in {"amount": amount, "date": date, "method": method, "reference": reference}.items() if v is not None},
                       lc.PaymentInput, "payment")
        return {"result": await call(ctx, s.PAYMENT_RECORD, lambda k: lc.RecordPayment(ctx=k, id=invoice_id, payment=body), key=idempotency_key, scope="write")}

    @tool(READ)
    async def get_invoice_pdf(ctx: Context, invoice_id: UUID) -> Result:
        """Where to download the invoice's PDF (GET with the same API key)."""
        await call(ctx, s.DOCUMENT_GET, lambda k: d.GetDocument(ctx=k, id=invoice_id, type="invoice"))
        return {"result": {"url": f"/api/v1/invoices/{invoice_id}/pdf", "media_type": "application/pdf"}}

    @tool(READ)
    async def get_invoice_stats(ctx: Context, period: str = "month", date_from: str | None = None, date_to: str | None = None) -> Result:
        """Invoiced, paid, outstanding and overdue per period (day, week, month, quarter, year) and currency, and top clients."""
        query = _decode({"ctx": None, "period": period, "date_from": date_from, "date_to": date_to}, rp.GetStats, "stats", ctx_free=True)
        return {"result": await call(ctx, s.STATS_GET, lambda k: msgspec.structs.replace(query, ctx=k))}

    @tool(READ)
    async def export_invoices(ctx: Context, status: str | None = None, lines: bool = False) -> Result:
        """Where to download invoices as CSV (GET with the same API key); filters as query parameters."""
        query = "&".join(p for p in (f"status={status}" if status else "", "lines=true" if lines else "") if p)
        return {"result": {"url": "/api/v1/invoices/export" + (f"?{query}" if query else ""), "media_type": "text/csv"}}

    @tool(WRITE)
    async def draft_invoice_from_text(ctx: Context, text: str, client_id: UUID | None = None, dry_run: bool = True,
                                      idempotency_key: str | None = None) -> Result:
        """Draft an invoice from how people write one, in English or German ("10 hours consulting for
        Acme at 150 EUR/h plus 19% VAT, due in 14 days"). With dry_run (the default) nothing is stored;
        the answer lists the parts of the text that were not understood, never a silent guess."""
        body = _decode({k: v for k, v in {"text": text, "client_id": client_id, "dry_run": dry_run}.items() if v is not None},
                       tx.FromTextInput, "text")
        return {"result": await call(ctx, s.INVOICE_FROM_TEXT, lambda k: tx.DraftFromText(ctx=k, body=body), key=idempotency_key, scope="write")}

    @tool(READ)
    async def get_company_profile(ctx: Context) -> Result:
        """The seller's details, bank, defaults and number series."""
        return {"result": await call(ctx, s.PROFILE_GET, lambda k: GetProfile(ctx=k))}

    return mcp


def _decode(value: dict[str, Any], type_: type, what: str, ctx_free: bool = False) -> Any:
    """Arguments checked exactly as REST bodies are; a clear error names the field."""
    try:
        if ctx_free:
            value = {k: v for k, v in value.items() if v is not None and k != "ctx"} | {"ctx": {"account_id": str(UUID(int=0))}}
        return msgspec.convert(value, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise ToolError(f"VALIDATION_ERROR in {what}: {exc}") from exc


def _fingerprint(subject: str, command: Any) -> str:
    return hashlib.sha256(subject.encode() + b"\n" + msgspec.json.encode(msgspec.structs.replace(command, ctx=None))).hexdigest()
