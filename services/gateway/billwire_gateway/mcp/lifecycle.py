"""MCP tools of an invoice's life: finalize, send, cancel, payments, copies (REST:
controllers/lifecycle.py). The irreversible ones preview unless confirmed with the expected total."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from billwire_gateway.mcp.toolbox import IRREVERSIBLE, UPDATE, WRITE, Result, Scopes, Toolbox, decode, given
from billwire_shared import subjects
from billwire_shared.contracts.documents import FinalizeDocument, GetDocument
from billwire_shared.contracts.lifecycle import (
    CancelDocument,
    CancelInput,
    DuplicateDocument,
    ListForDocument,
    MarkPaid,
    MarkPaidInput,
    PaymentInput,
    RecordPayment,
    RecordRefund,
    RefundInput,
    SendDocument,
    SendInput,
)

SEND_SCOPES = ("write", "email:send")  # sending a draft finalizes it


async def guarded(
    tools: Toolbox, ctx: Context, invoice_id: UUID, confirm: bool, expected_total: str | None, would: str, extra: dict,
    scope: Scopes = "write",
) -> Result | None:
    """The preview of an irreversible tool without `confirm`; with it, None once `expected_total`
    is the document's total (else a tool error, nothing changed). The document is read under
    the tool's own scope: a key that may do it may see what it would do it to."""
    doc = await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: GetDocument(ctx=k, id=invoice_id), scope=scope)
    total = doc["totals"]["gross"]
    if not confirm:
        details = {"number": doc["number"], "status": doc["status"], "total": total, "currency": doc["currency"]}
        return {"result": {"preview": True, "would": would, "changed": False, "details": details | extra}}
    if expected_total is None or Decimal(expected_total) != Decimal(total):
        raise ToolError(f"expected_total must equal the document's total {total} {doc['currency']}; nothing was changed.")
    return None


def register(tools: Toolbox) -> None:
    @tools.tool(IRREVERSIBLE)
    async def finalize_invoice(ctx: Context, invoice_id: UUID, confirm: bool = False, expected_total: str | None = None,
                               idempotency_key: str | None = None) -> Result:
        """Issue a draft: it takes the next number and can never change again. Without confirm=true
        this only previews; with it, expected_total must equal the invoice total."""
        if (preview := await guarded(tools, ctx, invoice_id, confirm, expected_total, "finalize", {})) is not None:
            return preview
        return await tools.result(
            ctx, subjects.DOCUMENT_FINALIZE, lambda k: FinalizeDocument(ctx=k, id=invoice_id), key=idempotency_key, scope="write",
        )

    @tools.tool(IRREVERSIBLE, scope=SEND_SCOPES)
    async def send_invoice(ctx: Context, invoice_id: UUID, recipient: str | None = None, confirm: bool = False,
                           expected_total: str | None = None, idempotency_key: str | None = None) -> Result:
        """E-mail the invoice as PDF (a draft is finalized first). Preview without confirm=true."""
        extra = {"recipient": recipient or "the client's e-mail address"}
        if (preview := await guarded(tools, ctx, invoice_id, confirm, expected_total, "send", extra, SEND_SCOPES)) is not None:
            return preview
        body = SendInput(recipient=recipient)
        return await tools.result(
            ctx, subjects.DOCUMENT_SEND, lambda k: SendDocument(ctx=k, id=invoice_id, body=body), key=idempotency_key, scope=SEND_SCOPES,
        )

    @tools.tool(IRREVERSIBLE)
    async def cancel_invoice(ctx: Context, invoice_id: UUID, reason: str | None = None, confirm: bool = False,
                             expected_total: str | None = None, idempotency_key: str | None = None) -> Result:
        """Cancel an issued invoice with a credit note (the reason is optional). Payments stay: the
        invoice then shows `refund_due` until record_refund. Preview without confirm=true."""
        if (preview := await guarded(tools, ctx, invoice_id, confirm, expected_total, "cancel", {"reason": reason})) is not None:
            return preview
        body = decode(given(reason=reason), CancelInput, "cancel")
        return await tools.result(
            ctx, subjects.DOCUMENT_CANCEL, lambda k: CancelDocument(ctx=k, id=invoice_id, body=body), key=idempotency_key, scope="write",
        )

    @tools.tool(UPDATE)
    async def mark_invoice_paid(ctx: Context, invoice_id: UUID, date: str | None = None, note: str | None = None,
                                idempotency_key: str | None = None) -> Result:
        """Settle the open balance with one payment (date YYYY-MM-DD, today by default; note: e.g. "cash")."""
        body = decode(given(date=date, note=note), MarkPaidInput, "payment")
        return await tools.result(
            ctx, subjects.DOCUMENT_MARK_PAID, lambda k: MarkPaid(ctx=k, id=invoice_id, body=body), key=idempotency_key, scope="write",
        )

    @tools.tool(IRREVERSIBLE)
    async def mark_invoice_unpaid(ctx: Context, invoice_id: UUID, confirm: bool = False, expected_total: str | None = None,
                                  idempotency_key: str | None = None) -> Result:
        """Take back every payment of an invoice (a payment booked by mistake): it is open with its
        whole balance again, and the payments' dates and references are gone. Preview without confirm=true."""
        if (preview := await guarded(tools, ctx, invoice_id, confirm, expected_total, "remove every payment", {})) is not None:
            return preview
        return await tools.result(
            ctx, subjects.DOCUMENT_MARK_UNPAID, lambda k: ListForDocument(ctx=k, id=invoice_id), key=idempotency_key, scope="write",
        )

    @tools.tool(WRITE)
    async def duplicate_document(ctx: Context, document_id: UUID, idempotency_key: str | None = None) -> Result:
        """A new draft with the same client and lines as any document (to correct an issued one: cancel it, then send the copy)."""
        return await tools.result(
            ctx, subjects.DOCUMENT_DUPLICATE, lambda k: DuplicateDocument(ctx=k, id=document_id), key=idempotency_key, scope="write",
        )

    @tools.tool(WRITE)
    async def convert_estimate(ctx: Context, estimate_id: UUID, idempotency_key: str | None = None) -> Result:
        """An invoice draft from an accepted estimate (same client and lines, referring to the estimate)."""
        return await tools.result(
            ctx, subjects.ESTIMATE_CONVERT, lambda k: ListForDocument(ctx=k, id=estimate_id), key=idempotency_key, scope="write",
        )

    @tools.tool(WRITE)
    async def record_payment(ctx: Context, invoice_id: UUID, amount: str, date: str | None = None, method: str = "bank_transfer",
                             reference: str | None = None, idempotency_key: str | None = None) -> Result:
        """Record a (partial) payment; an overpayment is refused."""
        body = decode(given(amount=amount, date=date, method=method, reference=reference), PaymentInput, "payment")
        return await tools.result(
            ctx, subjects.PAYMENT_RECORD, lambda k: RecordPayment(ctx=k, id=invoice_id, payment=body), key=idempotency_key, scope="write",
        )

    @tools.tool(WRITE)
    async def record_refund(ctx: Context, invoice_id: UUID, amount: str | None = None, date: str | None = None,
                            method: str = "bank_transfer", reference: str | None = None, idempotency_key: str | None = None) -> Result:
        """Record money paid back on a cancelled invoice that had payments (amount: the whole refund_due when left out)."""
        body = decode(given(amount=amount, date=date, method=method, reference=reference), RefundInput, "refund")
        return await tools.result(
            ctx, subjects.REFUND_RECORD, lambda k: RecordRefund(ctx=k, id=invoice_id, refund=body), key=idempotency_key, scope="write",
        )
