"""MCP tools of an invoice's life: finalize, send, cancel, payments, copies (REST:
controllers/lifecycle.py). The irreversible ones answer with the invoices service's preview
(what exactly would happen, and every reason it would be refused) unless confirmed with the
expected total; a confirmed call is checked against a fresh preview first, so it never fails
for a reason the preview names."""

from __future__ import annotations

from uuid import UUID

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from billwire_gateway.calls import lifecycle as calls
from billwire_gateway.mcp.approvals import ask, held, noting_approval
from billwire_gateway.mcp.arguments import CONFIRMABLE, Arguments, Confirm, Confirmable, IdempotencyKey
from billwire_gateway.mcp.toolbox import IRREVERSIBLE, READ, UPDATE, WRITE, Scopes, Toolbox, contract, derived
from billwire_shared import subjects
from billwire_shared.contracts.approvals import Approval
from billwire_shared.contracts.documents import Document, DocumentType
from billwire_shared.contracts.lifecycle import (
    CancelInput,
    Cancellation,
    MarkPaidInput,
    Payment,
    PaymentInput,
    Refund,
    RefundInput,
    SendInfo,
    SendInput,
)
from billwire_shared.contracts.previews import ActionPreview, PreviewAction

SEND_SCOPES = ("write", "email:send")  # sending a draft finalizes it



class InvoiceAction(Confirmable, kw_only=True):
    invoice_id: UUID


CancelArguments = derived("CancelArguments", CancelInput, extra=[("invoice_id", UUID), *CONFIRMABLE])
SendArguments = derived("SendArguments", SendInput, extra=[("invoice_id", UUID), *CONFIRMABLE])


ON_INVOICE = [("invoice_id", UUID), ("idempotency_key", IdempotencyKey | None, None)]  # the invoice and the key a payment tool adds to its contract
MarkPaidArguments = derived("MarkPaidArguments", MarkPaidInput, extra=ON_INVOICE)
PaymentArguments = derived("PaymentArguments", PaymentInput, extra=ON_INVOICE)
RefundArguments = derived("RefundArguments", RefundInput, extra=ON_INVOICE)


class InvoiceId(Arguments, kw_only=True):
    invoice_id: UUID


class PaymentId(InvoiceId, kw_only=True):
    payment_id: UUID
    confirm: Confirm = False


class CopyArguments(Arguments, kw_only=True):
    document_id: UUID
    type: DocumentType | None = None
    idempotency_key: IdempotencyKey | None = None


class EstimateId(Arguments, kw_only=True):
    estimate_id: UUID
    idempotency_key: IdempotencyKey | None = None


async def guarded(
    tools: Toolbox, ctx: Context, args: Confirmable, invoice_id: UUID, action: str, scope: Scopes = "write", **given: object,
) -> ActionPreview | None:
    """The preview of an irreversible tool without `confirm`; with it, None once a fresh
    preview has no blocking problem and `expected_total` is the document's total (else a
    tool error, nothing changed). The preview is read under the tool's own scope."""
    command = lambda k: PreviewAction(ctx=k, id=invoice_id, action=action, **given)  # noqa: E731
    preview = await tools.call(ctx, subjects.DOCUMENT_PREVIEW_ACTION, command, ActionPreview, scope=scope)
    if not args.confirm:
        return preview
    if args.expected_total is None or args.expected_total != preview.total:
        raise ToolError(f"expected_total must equal the document's total {preview.total} {preview.currency}; nothing was changed.")
    if preview.blocking_problems:
        reasons = "; ".join(f"{p.code}: " + (f"{p.field}: " if p.field else "") + p.message for p in preview.blocking_problems)
        raise ToolError(f"Nothing was changed; the {action} would be refused: {reasons}")
    return None


def register(tools: Toolbox) -> None:
    @tools.tool(IRREVERSIBLE, InvoiceAction, ActionPreview, Document, Approval)
    @noting_approval
    async def finalize_invoice(ctx: Context, args: InvoiceAction) -> ActionPreview | Document | Approval:
        """Issue a draft: it takes the next number and can never change again. Without confirm=true
        this only previews (the number it will get, the total, blocking_problems); with it,
        expected_total must equal the invoice total."""
        if (preview := await guarded(tools, ctx, args, args.invoice_id, "finalize")) is not None:
            return preview
        if held(ctx, "finalize"):
            return await ask(tools, ctx, "finalize", args.invoice_id, args.idempotency_key)
        return await tools.ask(ctx, calls.FINALIZE, args.invoice_id, key=args.idempotency_key, scope="write")

    @tools.tool(IRREVERSIBLE, SendArguments, ActionPreview, SendInfo, Approval, scope=SEND_SCOPES)
    @noting_approval
    async def send_invoice(ctx: Context, args: SendArguments) -> ActionPreview | SendInfo | Approval:  # type: ignore[valid-type]
        """E-mail the invoice as PDF (a draft is finalized first). Without confirm=true this
        previews exactly what will happen: recipients (to, cc, bcc), subject, message, the
        number it will have, total, attachments, and blocking_problems (every reason the send
        would be refused: buyer address missing, no e-mail address, quota exhausted, e-invoice
        invalid). Confirm with expected_total once blocking_problems is empty."""
        body = contract(args, SendInput, drop=("invoice_id", "confirm", "expected_total", "idempotency_key"))
        if (preview := await guarded(tools, ctx, args, args.invoice_id, "send", SEND_SCOPES, send=body)) is not None:
            return preview
        if held(ctx, "send"):
            return await ask(tools, ctx, "send", args.invoice_id, args.idempotency_key, SEND_SCOPES, send=body)
        return await tools.ask(ctx, calls.SEND, args.invoice_id, body, key=args.idempotency_key, scope=SEND_SCOPES)

    @tools.tool(IRREVERSIBLE, CancelArguments, ActionPreview, Cancellation, Approval)
    @noting_approval
    async def cancel_invoice(ctx: Context, args: CancelArguments) -> ActionPreview | Cancellation | Approval:  # type: ignore[valid-type]
        """Cancel an issued invoice with a credit note (the reason is optional). Payments stay: the
        invoice then shows `refund_due` until record_refund. Without confirm=true this previews
        (the credit note's number, blocking_problems)."""
        if (preview := await guarded(tools, ctx, args, args.invoice_id, "cancel", reason=args.reason)) is not None:
            return preview
        if held(ctx, "cancel"):
            return await ask(tools, ctx, "cancel", args.invoice_id, args.idempotency_key, cancel=CancelInput(reason=args.reason))
        body = CancelInput(reason=args.reason)
        return await tools.ask(ctx, calls.CANCEL, args.invoice_id, body, key=args.idempotency_key, scope="write")

    @tools.tool(UPDATE, MarkPaidArguments, Document)
    async def mark_invoice_paid(ctx: Context, args: MarkPaidArguments) -> Document:  # type: ignore[valid-type]
        """Settle the open balance with one payment (date YYYY-MM-DD, today by default; note: e.g. "cash")."""
        body = contract(args, MarkPaidInput, drop=("invoice_id", "idempotency_key"))
        return await tools.ask(ctx, calls.MARK_PAID, args.invoice_id, body, key=args.idempotency_key, scope="write")

    @tools.tool(IRREVERSIBLE, InvoiceAction, ActionPreview, Document, Approval)
    @noting_approval
    async def mark_invoice_unpaid(ctx: Context, args: InvoiceAction) -> ActionPreview | Document | Approval:
        """Take back every payment of an invoice (a payment booked by mistake): it is open with its
        whole balance again, and the payments' dates and references are gone. Without
        confirm=true this previews the payments that would be removed."""
        if (preview := await guarded(tools, ctx, args, args.invoice_id, "mark_unpaid")) is not None:
            return preview
        if held(ctx, "mark_unpaid"):
            return await ask(tools, ctx, "mark_unpaid", args.invoice_id, args.idempotency_key)
        return await tools.ask(ctx, calls.MARK_UNPAID, args.invoice_id, key=args.idempotency_key, scope="write")

    @tools.tool(WRITE, CopyArguments, Document)
    async def duplicate_document(ctx: Context, args: CopyArguments) -> Document:
        """A new draft with the same client and lines as any document, of the same type or
        `type` (to correct an issued one: cancel it, then send the copy)."""
        return await tools.ask(ctx, calls.DUPLICATE, args.document_id, args.type, key=args.idempotency_key, scope="write")

    @tools.tool(WRITE, EstimateId, Document)
    async def convert_estimate(ctx: Context, args: EstimateId) -> Document:
        """An invoice draft from an accepted estimate (same client and lines, referring to the estimate)."""
        return await tools.ask(ctx, calls.CONVERT_ESTIMATE, args.estimate_id, key=args.idempotency_key, scope="write")

    @tools.tool(WRITE, PaymentArguments, Payment, Approval)
    @noting_approval
    async def record_payment(ctx: Context, args: PaymentArguments) -> Payment | Approval:  # type: ignore[valid-type]
        """Record a (partial) payment; an overpayment is refused."""
        body = contract(args, PaymentInput, drop=("invoice_id", "idempotency_key"))
        if held(ctx, "record_payment"):
            return await ask(tools, ctx, "record_payment", args.invoice_id, args.idempotency_key, payment=body)
        return await tools.ask(ctx, calls.RECORD_PAYMENT, args.invoice_id, body, key=args.idempotency_key, scope="write")

    @tools.tool(READ, InvoiceId, list[Payment])
    async def list_payments(ctx: Context, args: InvoiceId) -> list[Payment]:
        """The invoice's payments, oldest first."""
        return await tools.ask(ctx, calls.LIST_PAYMENTS, args.invoice_id)

    @tools.tool(IRREVERSIBLE, PaymentId, Payment, Document)
    async def delete_payment(ctx: Context, args: PaymentId) -> Payment | Document:
        """Remove one payment (booked by mistake); the balance opens again. Without confirm=true
        this only shows the payment that would be removed; confirmed, the invoice after."""
        if not args.confirm:
            payments = await tools.ask(ctx, calls.LIST_PAYMENTS, args.invoice_id, scope="write")
            found = [p for p in payments if p.id == args.payment_id]
            if not found:
                raise ToolError(f"NOT_FOUND: Payment {args.payment_id} was not found on this invoice.")
            return found[0]
        return await tools.ask(ctx, calls.DELETE_PAYMENT, args.invoice_id, args.payment_id, scope="write")

    @tools.tool(WRITE, RefundArguments, Refund)
    async def record_refund(ctx: Context, args: RefundArguments) -> Refund:  # type: ignore[valid-type]
        """Record money paid back on a cancelled invoice that had payments (amount: the whole
        refund_due when left out; date YYYY-MM-DD, today by default). Its payments stay."""
        body = contract(args, RefundInput, drop=("invoice_id", "idempotency_key"))
        return await tools.ask(ctx, calls.RECORD_REFUND, args.invoice_id, body, key=args.idempotency_key, scope="write")

    @tools.tool(READ, InvoiceId, list[Refund])
    async def list_refunds(ctx: Context, args: InvoiceId) -> list[Refund]:
        """The refunds recorded on a cancelled invoice, oldest first."""
        return await tools.ask(ctx, calls.LIST_REFUNDS, args.invoice_id)
