"""Bus handlers for the life of an issued document: payments, cancel, copies, sends, and the
e-mail outcomes the mailer reports back.

No `from __future__ import annotations`: see documents/handlers.py.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.documents import quota
from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.drafts import issue, issue_action, locked_document
from billwire_invoices.email import reminders
from billwire_invoices.email import sql as email_sql
from billwire_invoices.lifecycle import previews, rules, sql
from billwire_invoices.lifecycle.sending import Request, queue_send, release_quota, reserve_quota
from billwire_invoices.uow import Change, UnitOfWork, new_event, record, utcnow
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.lifecycle import (
    CancelDocument,
    Cancellation,
    DeletePayment,
    DuplicateDocument,
    GetSend,
    ListForDocument,
    MarkPaid,
    Payment,
    RecordPayment,
    RecordRefund,
    Refund,
    ReminderSent,
    SendDocument,
    SendInfo,
)
from billwire_shared.contracts.mail import EmailDelivered, EmailFailed
from billwire_shared.contracts.previews import ActionPreview, PreviewAction
from billwire_shared.errors import BillwireError, ErrorCode, found, not_found
from billwire_shared.ids import new_id

M = TypeVar("M")  # a payment or a refund


class LifecycleHandlers:
    """One method per RPC subject of an issued document's life (each marked with the subject it answers), and the
    consumers of the mailer's outcomes."""

    def __init__(self, pool: asyncpg.Pool, request: Request | None = None, documents_quota: int = 0) -> None:
        self.uow = UnitOfWork(pool)
        self.request = request  # to the mailer, for the e-mail quota
        # A copy and a converted estimate are new documents: they count against the monthly
        # quota like a create. A cancellation's credit note does not: correcting must always work.
        self.documents_quota = documents_quota

    async def _save(self, conn: asyncpg.Connection, ctx: Caller, before: Document | None, after: Document,
                    action: str, event_type: str | None) -> None:
        statement = documents_sql.save_document(ctx.account_id, after) if before else documents_sql.insert_document(ctx.account_id, after)
        await self.uow.apply(conn, statement, ctx, "document", after.id, action, before, after, event_type, after.updated_at)

    # -- payments ----------------------------------------------------------------------------

    async def _repay(self, conn: asyncpg.Connection, ctx: Caller, before: Document, action: str, settled_on: date | None = None) -> Document:
        """Recompute the balance from the payments and announce a change of paid state."""
        after = rules.with_payments(before, await sql.payments_of(conn, ctx.account_id, before.id), utcnow(), settled_on)
        event = f"{after.type}.paid" if after.status == "paid" and before.status != "paid" else f"{after.type}.updated"
        await self._save(conn, ctx, before, after, action, event)
        return after

    async def record_payment_on(self, conn: asyncpg.Connection, cmd: RecordPayment) -> Payment:
        """Book the payment inside the caller's transaction (an approved record_payment runs here too)."""
        invoice = await locked_document(conn, cmd.ctx.account_id, cmd.id, "invoice")
        rules.ensure_payable(invoice)
        document_rules.check(rules.check_payment(invoice, cmd.payment.amount))
        now = utcnow()
        payment = Payment(
            id=new_id(), document_id=invoice.id, amount=cmd.payment.amount, date=cmd.payment.date or now.date(),
            method=cmd.payment.method, reference=cmd.payment.reference, created_at=now,
        )
        recorded = {"invoice_id": invoice.id, "number": invoice.number, "payment": payment}
        await self.uow.apply(conn, sql.insert_payment(cmd.ctx.account_id, payment), cmd.ctx, "payment", payment.id,
                             "create", None, recorded, "invoice.payment_recorded", now)
        await self._repay(conn, cmd.ctx, invoice, "payment")
        return payment

    @answers(subjects.PAYMENT_RECORD)
    async def record_payment(self, cmd: RecordPayment) -> Payment:
        return await self.uow.write(cmd.ctx, Payment, lambda conn: self.record_payment_on(conn, cmd), held="record_payment")

    @answers(subjects.PAYMENT_LIST)
    async def list_payments(self, cmd: ListForDocument) -> list[Payment]:
        return await self._of_invoice(cmd, sql.payments_of)

    async def _of_invoice(self, cmd: ListForDocument, find: Callable[[asyncpg.Connection, UUID, UUID], Awaitable[list[M]]]) -> list[M]:
        """The payments or refunds of the account's invoice; 404 when it has no invoice by that id."""

        async def work(conn: asyncpg.Connection) -> list[M]:
            if await documents_sql.get_document(conn, cmd.ctx.account_id, cmd.id, "invoice") is None:
                raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Invoice", cmd.id)
            return await find(conn, cmd.ctx.account_id, cmd.id)

        return await self.uow.read(work)

    async def unpay_on(self, conn: asyncpg.Connection, ctx: Caller, doc_id: UUID, payment_id: UUID | None) -> Document:
        """Remove one payment, or all (mark unpaid), inside the caller's transaction."""
        invoice = await locked_document(conn, ctx.account_id, doc_id, "invoice")
        rules.ensure_payable(invoice)
        removed = await sql.delete_payments(conn, ctx.account_id, doc_id, payment_id)
        if payment_id is not None and not removed:
            raise BillwireError(ErrorCode.NOT_FOUND, f"Payment {payment_id} was not found on this invoice.")
        return await self._repay(conn, ctx, invoice, "unpay" if payment_id is None else "payment-delete")

    @answers(subjects.PAYMENT_DELETE)
    async def delete_payment(self, cmd: DeletePayment) -> Document:
        return await self.uow.write(  # payment by payment, it is marking unpaid
            cmd.ctx, Document, lambda conn: self.unpay_on(conn, cmd.ctx, cmd.id, cmd.payment_id), held="mark_unpaid",
        )

    @answers(subjects.DOCUMENT_MARK_UNPAID)
    async def mark_unpaid(self, cmd: ListForDocument) -> Document:
        return await self.uow.write(cmd.ctx, Document, lambda conn: self.unpay_on(conn, cmd.ctx, cmd.id, None), held="mark_unpaid")

    @answers(subjects.DOCUMENT_MARK_PAID)
    async def mark_paid(self, cmd: MarkPaid) -> Document:
        async def work(conn: asyncpg.Connection) -> Document:
            invoice = await locked_document(conn, cmd.ctx.account_id, cmd.id, "invoice")
            rules.ensure_payable(invoice)
            if invoice.status == "paid":
                return invoice
            now = utcnow()
            due = invoice.balance_due if invoice.balance_due is not None else invoice.totals.gross
            if due > 0:  # an invoice of nothing is settled without a payment
                payment = Payment(
                    id=new_id(), document_id=invoice.id, amount=due, date=cmd.body.date or now.date(), method="other",
                    reference=cmd.body.note, created_at=now,
                )
                recorded = {"invoice_id": invoice.id, "number": invoice.number, "payment": payment}
                await self.uow.apply(conn, sql.insert_payment(cmd.ctx.account_id, payment), cmd.ctx, "payment", payment.id,
                                  "create", None, recorded, "invoice.payment_recorded", now)
            return await self._repay(conn, cmd.ctx, invoice, "mark-paid", cmd.body.date)

        return await self.uow.write(cmd.ctx, Document, work, held="record_payment")  # it records a payment of the balance

    # -- cancel and copies ---------------------------------------------------------------------

    async def cancel_on(self, conn: asyncpg.Connection, cmd: CancelDocument) -> Cancellation:
        """Cancel with a credit note inside the caller's transaction (an approved cancel runs here too)."""
        invoice = await locked_document(conn, cmd.ctx.account_id, cmd.id, "invoice")
        now = utcnow()
        note = rules.credit_note_for(invoice, new_id(), now)
        rules.cancel(invoice, cmd.body.reason, note, now)  # refused before anything is written
        await self._save(conn, cmd.ctx, None, note, "create", "credit_note.created")
        issued = await issue(conn, cmd.ctx.account_id, note)
        await self._save(conn, cmd.ctx, note, issued, "finalize", "credit_note.finalized")
        cancelled = rules.cancel(invoice, cmd.body.reason, issued, now)
        await self._save(conn, cmd.ctx, invoice, cancelled, "cancel", "invoice.cancelled")
        return Cancellation(cancelled_id=invoice.id, credit_note_id=issued.id, credit_note_number=issued.number,
                            refund_due=cancelled.refund_due)

    @answers(subjects.DOCUMENT_CANCEL)
    async def cancel_document(self, cmd: CancelDocument) -> Cancellation:
        return await self.uow.write(cmd.ctx, Cancellation, lambda conn: self.cancel_on(conn, cmd), held="cancel")

    # -- refunds of a cancelled invoice's payments ---------------------------------------------

    @answers(subjects.REFUND_RECORD)
    async def record_refund(self, cmd: RecordRefund) -> Refund:
        """Money paid back on a cancelled invoice; its payments stay, `refund_due` goes down.
        Announced as `invoice.refunded`; the invoice is never paid again by it."""
        async def work(conn: asyncpg.Connection) -> Refund:
            invoice = await locked_document(conn, cmd.ctx.account_id, cmd.id, "invoice")
            amount, problems = rules.check_refund(invoice, cmd.refund.amount)
            document_rules.check(problems)
            now = utcnow()
            refund = Refund(
                id=new_id(), document_id=invoice.id, amount=amount, date=cmd.refund.date or now.date(),
                method=cmd.refund.method, reference=cmd.refund.reference, created_at=now,
            )
            recorded = {"invoice_id": invoice.id, "number": invoice.number, "refund": refund}
            await self.uow.apply(conn, sql.insert_refund(cmd.ctx.account_id, refund), cmd.ctx, "refund", refund.id,
                                 "create", None, recorded, None, now)
            await self._save(conn, cmd.ctx, invoice, rules.with_refund(invoice, refund, now), "refund", "invoice.refunded")
            return refund

        return await self.uow.write(cmd.ctx, Refund, work)

    @answers(subjects.REFUND_LIST)
    async def list_refunds(self, cmd: ListForDocument) -> list[Refund]:
        return await self._of_invoice(cmd, sql.refunds_of)

    @answers(subjects.DOCUMENT_DUPLICATE)
    async def duplicate_document(self, cmd: DuplicateDocument) -> Document:
        async def work(conn: asyncpg.Connection) -> Document:
            original = await locked_document(conn, cmd.ctx.account_id, cmd.id)
            copy = rules.copy_of(original, new_id(), cmd.type or original.type, utcnow())
            await self._save(conn, cmd.ctx, None, copy, "create", f"{copy.type}.created")
            return copy

        return await self.uow.write(cmd.ctx, Document, quota.within_quota(self.documents_quota, cmd.ctx.account_id, work))

    @answers(subjects.ESTIMATE_CONVERT)
    async def convert_estimate(self, cmd: ListForDocument) -> Document:
        async def work(conn: asyncpg.Connection) -> Document:
            estimate = await locked_document(conn, cmd.ctx.account_id, cmd.id, "estimate")
            if estimate.converted_to is not None:
                earlier = await documents_sql.get_document(conn, cmd.ctx.account_id, estimate.converted_to.id)
                rules.ensure_not_converted(estimate, earlier)
            now = utcnow()
            invoice = rules.copy_of(estimate, new_id(), "invoice", now, refer=True)
            await self._save(conn, cmd.ctx, None, invoice, "create", "invoice.created")
            converted = msgspec.structs.replace(estimate, converted_to=rules.ref_of(invoice), updated_at=now)
            await self._save(conn, cmd.ctx, estimate, converted, "convert", None)
            return invoice

        return await self.uow.write(cmd.ctx, Document, quota.within_quota(self.documents_quota, cmd.ctx.account_id, work))

    # -- sending ---------------------------------------------------------------------------------

    async def send_on(self, conn: asyncpg.Connection, cmd: SendDocument, reserved: list[UUID]) -> SendInfo:
        """Queue the send inside the caller's transaction (an approved send runs here too); the
        e-mail of the quota it takes is added to `reserved`, to give back if that does not commit."""
        doc = await locked_document(conn, cmd.ctx.account_id, cmd.id)
        if doc.status == "cancelled":
            raise rules.conflict("A cancelled invoice is not sent; send its credit note.")
        profile, templates = await email_sql.get_profile_and_templates(conn, cmd.ctx.account_id)
        if doc.status == "draft":  # a draft is issued first; all of it rolls back on any refusal
            issued = await issue(conn, cmd.ctx.account_id, doc, profile)
            await self._save(conn, cmd.ctx, doc, issued, issue_action(issued), f"{issued.type}.finalized")
            doc = issued
        request = rules.send_request(doc, cmd.body, profile, cmd.ctx.account_id, new_id(), utcnow(), templates)
        await reserve_quota(self.request, cmd.ctx, request.id)
        reserved.append(request.id)
        await queue_send(conn, cmd.ctx, request)
        return sql.queued_send_info(request)

    async def release(self, ctx: Caller, reserved: list[UUID]) -> None:
        for send_id in reserved:  # counted, but the transaction that queued it did not commit
            await release_quota(self.request, ctx, send_id)

    @answers(subjects.DOCUMENT_SEND)
    async def send_document(self, cmd: SendDocument) -> SendInfo:
        reserved: list[UUID] = []
        try:
            return await self.uow.write(cmd.ctx, SendInfo, lambda conn: self.send_on(conn, cmd, reserved), held="send")
        except BaseException:
            await self.release(cmd.ctx, reserved)
            raise

    @answers(subjects.DOCUMENT_PREVIEW_ACTION)
    async def preview_action(self, cmd: PreviewAction) -> ActionPreview:
        """What finalize, send, cancel or mark-unpaid would do, and every reason it would be refused."""

        async def work(conn: asyncpg.Connection) -> ActionPreview:
            doc = found(await documents_sql.get_document(conn, cmd.ctx.account_id, cmd.id), ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            return await previews.preview_action(conn, self.request, cmd, doc, utcnow())

        return await self.uow.read(work)

    @answers(subjects.SEND_GET)
    async def get_send(self, cmd: GetSend) -> SendInfo:
        found = await self.uow.read(lambda conn: sql.get_send(conn, cmd.ctx.account_id, cmd.send_id))
        if found is None:
            raise BillwireError(ErrorCode.NOT_FOUND, f"Send {cmd.send_id} was not found.")
        return found

    @answers(subjects.SEND_LIST)
    async def list_sends(self, cmd: ListForDocument) -> list[SendInfo]:
        async def work(conn: asyncpg.Connection) -> list[SendInfo]:
            if await documents_sql.get_document(conn, cmd.ctx.account_id, cmd.id) is None:  # another account's, or none
                raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            return await sql.sends_of(conn, cmd.ctx.account_id, cmd.id)

        return await self.uow.read(work)

    async def _outcome(self, send_id: UUID, account_id: UUID, state: str, reason: str | None) -> None:
        """Record what the mailer reports, once; a delivered send marks its document sent, a
        delivered reminder is announced as `invoice.reminder_sent`."""
        ctx = Caller(account_id=account_id)
        async with self.uow.transaction() as conn:
            row = await sql.set_send_state(conn, send_id, state, reason, with_document=state == "delivered")
            if row is None or state != "delivered":
                return
            doc = msgspec.convert(row["data"], Document, strict=False)
            now = utcnow()
            if row["reminder_level"]:
                after = reminders.reminder_delivered(doc, now)
                sent = ReminderSent(invoice_id=doc.id, number=doc.number, level=row["reminder_level"], send_id=send_id, sent_at=now)
                event = new_event(f"{doc.type}.reminder_sent", account_id, sent, now)
                change = Change(entity="document", entity_id=doc.id, action="reminder-sent", before=doc, after=after, event=event)
                await record(conn, documents_sql.save_document(account_id, after), ctx, change)
            elif doc.sent_at is None:
                await self._save(conn, ctx, doc, rules.marked_sent(doc, now), "sent", f"{doc.type}.sent")

    async def on_email_delivered(self, event: Event) -> None:
        body = msgspec.convert(event.data, EmailDelivered)
        await self._outcome(body.send_request_id, body.account_id, "delivered", None)

    async def on_email_failed(self, event: Event) -> None:
        body = msgspec.convert(event.data, EmailFailed)
        await self._outcome(body.send_request_id, body.account_id, "failed", body.reason)
