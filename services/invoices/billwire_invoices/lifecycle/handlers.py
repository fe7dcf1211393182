"""Handlers for the life of an issued document: payments, cancel, copies, sends, and the
e-mail outcomes the mailer reports back.

No `from __future__ import annotations`: see handlers.py.
"""

import logging
from datetime import date
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import domain
from billwire_invoices import repository as repo
from billwire_invoices.einvoice import checks as einvoice
from billwire_invoices.email import reminders
from billwire_invoices.email import sql as email_sql
from billwire_invoices.handlers import InvoicesHandlers, utcnow
from billwire_invoices.lifecycle import rules as lifecycle
from billwire_invoices.lifecycle import sql
from billwire_invoices.lifecycle.sending import Request, queue_send, release_quota, reserve_quota
from billwire_shared import subjects as s
from billwire_shared.contracts import accounts as a
from billwire_shared.contracts import documents as d
from billwire_shared.contracts import lifecycle as lc
from billwire_shared.contracts import mail as m
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.events import Event
from billwire_shared.errors import BillwireError, ErrorCode, not_found
from billwire_shared.ids import new_id

log = logging.getLogger("billwire.invoices.lifecycle")


class LifecycleHandlers(InvoicesHandlers):
    def __init__(self, pool: asyncpg.Pool, publish=None, request: Request | None = None) -> None:
        super().__init__(pool, publish)
        self.request = request

    async def _locked(self, conn: asyncpg.Connection, ctx: Caller, doc_id: UUID, doc_type: str | None = None) -> d.Document:
        doc = await repo.get_document(conn, ctx.account_id, doc_id, doc_type, lock=True)
        if doc is None:
            raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Document", doc_id)
        return doc

    async def _save(self, conn: asyncpg.Connection, ctx: Caller, before: d.Document | None, after: d.Document,
                    action: str, event_type: str | None) -> None:
        statement = repo.save_document(ctx.account_id, after) if before else repo.insert_document(ctx.account_id, after)
        await self._apply(conn, statement, ctx, "document", after.id, action, before, after, event_type, after.updated_at)

    async def _issue(self, conn: asyncpg.Connection, ctx: Caller, draft: d.Document, profile: a.Profile | None = None) -> d.Document:
        """Finalize a draft inside the caller's transaction (send and cancel need it)."""
        profile = profile or await repo.get_profile(conn, ctx.account_id)
        missing = domain.finalize_problems(draft, profile)
        if missing:
            raise BillwireError(ErrorCode.DOCUMENT_INCOMPLETE, "The document is missing what an issued document must carry.", missing)
        issue_date = draft.issue_date or date.today()
        series = getattr(profile.number_series, draft.type)
        sequence = await repo.next_in_series(conn, ctx.account_id, draft.type, domain.series_period(issue_date, series.yearly_reset))
        number = domain.format_number(series.pattern, sequence, issue_date)
        issued = domain.finalize(draft, a.seller_of(profile), number, issue_date, utcnow())
        await einvoice.check(issued, issued.seller)
        return issued

    # -- payments ----------------------------------------------------------------------------

    async def _repay(self, conn: asyncpg.Connection, ctx: Caller, before: d.Document, action: str) -> d.Document:
        """Recompute the balance from the payments and announce a change of paid state."""
        after = lifecycle.with_payments(before, await sql.payments_of(conn, ctx.account_id, before.id), utcnow())
        event = f"{after.type}.paid" if after.status == "paid" and before.status != "paid" else f"{after.type}.updated"
        await self._save(conn, ctx, before, after, action, event)
        return after

    async def record_payment(self, cmd: lc.RecordPayment) -> lc.Payment:
        async def work(conn: asyncpg.Connection) -> lc.Payment:
            invoice = await self._locked(conn, cmd.ctx, cmd.id, "invoice")
            lifecycle.ensure_payable(invoice)
            domain.check(lifecycle.check_payment(invoice, cmd.payment.amount))
            now = utcnow()
            payment = lc.Payment(
                id=new_id(), document_id=invoice.id, amount=cmd.payment.amount, date=cmd.payment.date or now.date(),
                method=cmd.payment.method, reference=cmd.payment.reference, created_at=now,
            )
            recorded = {"invoice_id": invoice.id, "number": invoice.number, "payment": payment}
            await self._apply(conn, sql.insert_payment(cmd.ctx.account_id, payment), cmd.ctx, "payment", payment.id,
                              "create", None, recorded, "invoice.payment_recorded", now)
            await self._repay(conn, cmd.ctx, invoice, "payment")
            return payment

        return await self._write(cmd.ctx, lc.Payment, work)

    async def list_payments(self, cmd: lc.ListForDocument) -> list[lc.Payment]:
        async def work(conn: asyncpg.Connection) -> list[lc.Payment]:
            if await repo.get_document(conn, cmd.ctx.account_id, cmd.id, "invoice") is None:
                raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Invoice", cmd.id)
            return await sql.payments_of(conn, cmd.ctx.account_id, cmd.id)

        return await self._read(work)

    async def _remove_payments(self, cmd: Caller, doc_id: UUID, payment_id: UUID | None) -> d.Document:
        async def work(conn: asyncpg.Connection) -> d.Document:
            invoice = await self._locked(conn, cmd, doc_id, "invoice")
            lifecycle.ensure_payable(invoice)
            removed = await sql.delete_payments(conn, cmd.account_id, doc_id, payment_id)
            if payment_id is not None and not removed:
                raise BillwireError(ErrorCode.NOT_FOUND, f"Payment {payment_id} was not found on this invoice.")
            return await self._repay(conn, cmd, invoice, "unpay" if payment_id is None else "payment-delete")

        return await self._write(cmd, d.Document, work)

    async def delete_payment(self, cmd: lc.DeletePayment) -> d.Document:
        return await self._remove_payments(cmd.ctx, cmd.id, cmd.payment_id)

    async def mark_unpaid(self, cmd: lc.ListForDocument) -> d.Document:
        return await self._remove_payments(cmd.ctx, cmd.id, None)

    async def mark_paid(self, cmd: lc.MarkPaid) -> d.Document:
        async def work(conn: asyncpg.Connection) -> d.Document:
            invoice = await self._locked(conn, cmd.ctx, cmd.id, "invoice")
            lifecycle.ensure_payable(invoice)
            if invoice.status == "paid":
                return invoice
            now = utcnow()
            due = invoice.balance_due if invoice.balance_due is not None else invoice.totals.gross
            if due > 0:  # an invoice of nothing is settled without a payment
                payment = lc.Payment(
                    id=new_id(), document_id=invoice.id, amount=due, date=cmd.body.date or now.date(), method="other",
                    reference=cmd.body.note, created_at=now,
                )
                recorded = {"invoice_id": invoice.id, "number": invoice.number, "payment": payment}
                await self._apply(conn, sql.insert_payment(cmd.ctx.account_id, payment), cmd.ctx, "payment", payment.id,
                                  "create", None, recorded, "invoice.payment_recorded", now)
            return await self._repay(conn, cmd.ctx, invoice, "mark-paid")

        return await self._write(cmd.ctx, d.Document, work)

    # -- cancel and copies ---------------------------------------------------------------------

    async def cancel_document(self, cmd: lc.CancelDocument) -> lc.Cancellation:
        async def work(conn: asyncpg.Connection) -> lc.Cancellation:
            invoice = await self._locked(conn, cmd.ctx, cmd.id, "invoice")
            now = utcnow()
            cancelled = lifecycle.cancel(invoice, cmd.body.reason, now)
            note = lifecycle.credit_note_for(invoice, new_id(), now)
            await self._save(conn, cmd.ctx, None, note, "create", "credit_note.created")
            issued = await self._issue(conn, cmd.ctx, note)
            await self._save(conn, cmd.ctx, note, issued, "finalize", "credit_note.finalized")
            await self._save(conn, cmd.ctx, invoice, cancelled, "cancel", "invoice.cancelled")
            return lc.Cancellation(cancelled_id=invoice.id, credit_note_id=issued.id, credit_note_number=issued.number)

        return await self._write(cmd.ctx, lc.Cancellation, work)

    async def duplicate_document(self, cmd: lc.DuplicateDocument) -> d.Document:
        async def work(conn: asyncpg.Connection) -> d.Document:
            original = await self._locked(conn, cmd.ctx, cmd.id)
            copy = lifecycle.copy_of(original, new_id(), cmd.type or original.type, utcnow())
            await self._save(conn, cmd.ctx, None, copy, "create", f"{copy.type}.created")
            return copy

        return await self._write(cmd.ctx, d.Document, work)

    async def convert_estimate(self, cmd: lc.ListForDocument) -> d.Document:
        async def work(conn: asyncpg.Connection) -> d.Document:
            estimate = await self._locked(conn, cmd.ctx, cmd.id, "estimate")
            invoice = lifecycle.copy_of(estimate, new_id(), "invoice", utcnow(), refer=True)
            await self._save(conn, cmd.ctx, None, invoice, "create", "invoice.created")
            return invoice

        return await self._write(cmd.ctx, d.Document, work)

    # -- sending ---------------------------------------------------------------------------------

    async def send_document(self, cmd: lc.SendDocument) -> lc.SendInfo:
        reserved: list[UUID] = []

        async def work(conn: asyncpg.Connection) -> lc.SendInfo:
            doc = await self._locked(conn, cmd.ctx, cmd.id)
            if doc.status == "cancelled":
                raise lifecycle.conflict("A cancelled invoice is not sent; send its credit note.")
            profile, templates = await email_sql.get_profile_and_templates(conn, cmd.ctx.account_id)
            if doc.status == "draft":  # a draft is issued first; all of it rolls back on any refusal
                issued = await self._issue(conn, cmd.ctx, doc, profile)
                await self._save(conn, cmd.ctx, doc, issued, "finalize", f"{issued.type}.finalized")
                doc = issued
            request = lifecycle.send_request(doc, cmd.body, profile, cmd.ctx.account_id, new_id(), utcnow(), templates)
            await reserve_quota(self.request, cmd.ctx, request.id)
            reserved.append(request.id)
            await queue_send(conn, cmd.ctx, request)
            return sql.queued_send_info(request)

        try:
            return await self._write(cmd.ctx, lc.SendInfo, work)
        except BaseException:
            for send_id in reserved:  # counted, but the transaction that queued it did not commit
                await release_quota(self.request, cmd.ctx, send_id)
            raise

    async def get_send(self, cmd: lc.GetSend) -> lc.SendInfo:
        found = await self._read(lambda conn: sql.get_send(conn, cmd.ctx.account_id, cmd.send_id))
        if found is None:
            raise BillwireError(ErrorCode.NOT_FOUND, f"Send {cmd.send_id} was not found.")
        return found

    async def list_sends(self, cmd: lc.ListForDocument) -> list[lc.SendInfo]:
        async def work(conn: asyncpg.Connection) -> list[lc.SendInfo]:
            if await repo.get_document(conn, cmd.ctx.account_id, cmd.id) is None:  # another account's, or none
                raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            return await sql.sends_of(conn, cmd.ctx.account_id, cmd.id)

        return await self._read(work)

    async def _outcome(self, send_id: UUID, account_id: UUID, state: str, reason: str | None) -> None:
        """Record what the mailer reports, once; a delivered send marks its document sent, a
        delivered reminder is announced as `invoice.reminder_sent`."""
        ctx = Caller(account_id=account_id)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await sql.set_send_state(conn, send_id, state, reason, with_document=state == "delivered")
            if row is None or state != "delivered":
                return
            doc = msgspec.convert(row["data"], d.Document, strict=False)
            now = utcnow()
            if row["reminder_level"]:
                after = reminders.reminder_delivered(doc, now)
                sent = lc.ReminderSent(invoice_id=doc.id, number=doc.number, level=row["reminder_level"], send_id=send_id, sent_at=now)
                event = repo.new_event(f"{doc.type}.reminder_sent", account_id, sent, now)
                change = repo.Change(entity="document", entity_id=doc.id, action="reminder-sent", before=doc, after=after, event=event)
                await repo.apply(conn, repo.save_document(account_id, after), ctx, change)
            elif doc.sent_at is None:
                await self._save(conn, ctx, doc, lifecycle.marked_sent(doc, now), "sent", f"{doc.type}.sent")

    async def on_email_delivered(self, event: Event) -> None:
        body = msgspec.convert(event.data, m.EmailDelivered)
        await self._outcome(body.send_request_id, body.account_id, "delivered", None)

    async def on_email_failed(self, event: Event) -> None:
        body = msgspec.convert(event.data, m.EmailFailed)
        await self._outcome(body.send_request_id, body.account_id, "failed", body.reason)


LIFECYCLE_ROUTES: dict[str, str] = {
    s.PAYMENT_RECORD: "record_payment",
    s.PAYMENT_LIST: "list_payments",
    s.PAYMENT_DELETE: "delete_payment",
    s.DOCUMENT_MARK_PAID: "mark_paid",
    s.DOCUMENT_MARK_UNPAID: "mark_unpaid",
    s.DOCUMENT_CANCEL: "cancel_document",
    s.DOCUMENT_DUPLICATE: "duplicate_document",
    s.ESTIMATE_CONVERT: "convert_estimate",
    s.DOCUMENT_SEND: "send_document",
    s.SEND_GET: "get_send",
    s.SEND_LIST: "list_sends",
}
