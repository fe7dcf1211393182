"""Bus handlers of approvals: ask for one (the gateway, for a key whose policy holds the action
back), list and read them, and decide. Approving runs the stored command in the transaction
that locks the approval row, through the same `*_on` functions the direct actions run, as the
key that asked: two people approving at once get one action and one 409.

No `from __future__ import annotations`: see documents/handlers.py.
"""

from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts.approvals import mails, rules, sql
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.handlers import DocumentHandlers
from billwire_invoices.lifecycle import previews
from billwire_invoices.lifecycle.handlers import LifecycleHandlers
from billwire_invoices.uow import Change, UnitOfWork, new_event, record, utcnow
from billwire_invoices.users import sql as users_sql
from billwire_invoices.users.rules import new_link_token, token_hash
from billwire_shared import subjects
from billwire_shared.contracts.approvals import (
    Approval,
    ApprovalLink,
    ApprovalResult,
    DecideApproval,
    DecideByLink,
    ListApprovals,
    RequestApproval,
)
from billwire_shared.contracts.common import ById, Caller, Page
from billwire_shared.contracts.documents import Document, DocumentById
from billwire_shared.contracts.lifecycle import CancelDocument, CancelInput, PaymentInput, RecordPayment, SendDocument, SendInput
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.previews import ActionPreview, PreviewAction
from billwire_shared.contracts.user_links import UserEmailRequested
from billwire_shared.errors import BillwireError, ErrorCode, found
from billwire_shared.ids import new_id

NOT_FOUND = (ErrorCode.NOT_FOUND, "Approval")
# Under which field of ApprovalResult each action's answer is kept.
RESULT_OF = {"finalize": "document", "mark_unpaid": "document", "send": "send", "cancel": "cancellation",
             "record_payment": "payment", "delete": "deleted"}


class ApprovalHandlers:
    def __init__(self, pool: asyncpg.Pool, documents: DocumentHandlers, lifecycle: LifecycleHandlers, valid_days: int = 7) -> None:
        self.uow = UnitOfWork(pool)
        self.documents, self.lifecycle = documents, lifecycle
        self.valid = timedelta(days=valid_days)

    async def _preview(self, conn: asyncpg.Connection, ctx: Caller, action: str, doc: Document, command: dict) -> ActionPreview:
        """What the action would do to `doc` now, by the rules the action runs."""
        if action in ("delete", "record_payment"):
            payment = msgspec.convert(command["payment"], PaymentInput) if command.get("payment") else None
            return rules.plain_preview(action, doc, payment)
        send = msgspec.convert(command["send"], SendInput) if command.get("send") else None
        reason = (command.get("cancel") or {}).get("reason")
        asked = PreviewAction(ctx=ctx, id=doc.id, action=action, send=send, reason=reason)
        return await previews.preview_action(conn, self.lifecycle.request, asked, doc, utcnow())

    @answers(subjects.APPROVAL_REQUEST)
    async def request_approval(self, cmd: RequestApproval) -> Approval:
        """Store the action as pending with its preview and announce `approval.requested`; an
        action that would be refused now is refused at once, as the action itself would be."""
        if cmd.ctx.key_id is None:
            raise BillwireError(ErrorCode.FORBIDDEN, "Only an API key asks for approval; a person acts directly.")
        command = {"send": cmd.send, "cancel": cmd.cancel, "payment": cmd.payment}
        command = {name: msgspec.to_builtins(value) for name, value in command.items() if value is not None}

        async def work(conn: asyncpg.Connection) -> Approval:
            doc = found(await documents_sql.get_document(conn, cmd.ctx.account_id, cmd.document_id, cmd.document_type),
                        ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.document_id)
            preview = await self._preview(conn, cmd.ctx, cmd.action, doc, command)
            if preview.blocking_problems:
                raise rules.refusal(preview)
            now = utcnow()
            approval_id = new_id()
            approval = Approval(
                id=approval_id, action=cmd.action, document_id=doc.id, state="pending", key_id=cmd.ctx.key_id, preview=preview,
                expected_total=preview.total, created_at=now, expires_at=now + self.valid, approve_url=f"/approvals/{approval_id}",
                pending=True,
            )
            token, token_hash = new_link_token()
            statement = sql.insert_approval(cmd.ctx.account_id, approval, command, doc.version, token_hash if cmd.web_url else None)
            await _announce(conn, statement, cmd.ctx, approval, "requested", None)
            if cmd.web_url:
                await self._mail_owners(conn, cmd.ctx, approval, cmd.web_url.rstrip("/") + mails.LINK_PATH + token)
            return approval

        return await self.uow.write(cmd.ctx, Approval, work)

    async def _mail_owners(self, conn: asyncpg.Connection, ctx: Caller, approval: Approval, link: str) -> None:
        """Each owner's e-mail with the one-time link, through the outbox in the request's
        transaction (the mailer sends it once, or the approval does not exist)."""
        company = await users_sql.company_name(conn, ctx.account_id)
        for owner in await sql.owners_of(conn, ctx.account_id):
            subject, body = mails.approval_requested(owner["language"], company, approval, link, approval.expires_at)
            send = SendRequest(
                id=new_id(), account_id=ctx.account_id, document_id=approval.id, document_number=None, document_type="approval",
                version=1, sender_name=company or None, reply_to=None, to=[owner["email"]], subject=subject, body=body,
                language=owner["language"], requested_at=approval.created_at, export_type="none",
            )
            event = new_event("user.email_requested", ctx.account_id, UserEmailRequested(send=send), approval.created_at)
            await record(conn, ("SELECT 1", []), ctx, Change(entity="approval", entity_id=approval.id, action="mail", event=event))

    @answers(subjects.APPROVAL_LINK_GET)
    async def link_get(self, cmd: ApprovalLink) -> Approval:
        """The pending approval an e-mailed link names; a used, expired or unknown link is a 404."""
        async with self.uow.connection() as conn:
            found_link = await sql.by_token(conn, token_hash(cmd.token))
            row = await sql.get_approval(conn, found_link["account_id"], found_link["id"]) if found_link else None
        if row is None or rules.approval_of(row).expires_at <= utcnow():
            raise BillwireError(ErrorCode.NOT_FOUND, "This approval link is unknown, was used, or expired.")
        return rules.approval_of(row)

    @answers(subjects.APPROVAL_LINK_DECIDE)
    async def link_decide(self, cmd: DecideByLink) -> Approval:
        """Decide through the e-mailed link: the token stands for an owner, and works once (a
        decision by any way clears it)."""
        found_link = await self.uow.read(lambda conn: sql.by_token(conn, token_hash(cmd.token)))
        if found_link is None:
            raise BillwireError(ErrorCode.NOT_FOUND, "This approval link is unknown, was used, or expired.")
        ctx = Caller(account_id=found_link["account_id"], request_id="approval-link")
        return await self.decide(DecideApproval(ctx=ctx, id=found_link["id"], decision=cmd.decision, body=cmd.body))

    @answers(subjects.APPROVAL_LIST)
    async def list_approvals(self, cmd: ListApprovals) -> Page[Approval]:
        async def work(conn: asyncpg.Connection) -> tuple[list[Approval], int]:
            rows, total = await sql.list_approvals(conn, cmd.ctx.account_id, cmd.state, cmd.limit, cmd.offset)
            return [rules.approval_of(row) for row in rows], total

        return await self.uow.read_page(cmd, work)

    @answers(subjects.APPROVAL_GET)
    async def get_approval(self, cmd: ById) -> Approval:
        row = await self.uow.read(lambda conn: sql.get_approval(conn, cmd.ctx.account_id, cmd.id))
        return rules.approval_of(found(row, *NOT_FOUND, cmd.id))

    @answers(subjects.APPROVAL_DECIDE)
    async def decide(self, cmd: DecideApproval) -> Approval:
        """Approve (the action runs now, once, or the approval fails saying why) or reject. An
        approval past its time is expired by the decision instead; one decided already is a 409."""
        reserved: list = []

        async def work(conn: asyncpg.Connection) -> Approval:
            row = found(await sql.get_approval(conn, cmd.ctx.account_id, cmd.id, lock=True), *NOT_FOUND, cmd.id)
            before = rules.approval_of(row)
            rules.ensure_may_decide(cmd.ctx, before)
            rules.ensure_pending(before)
            now = utcnow()
            if before.expires_at <= now:
                after = rules.decided(before, "expired", cmd.ctx, now, "Nobody decided before it expired; nothing was done.")
            elif cmd.decision == "reject":
                after = rules.decided(before, "rejected", cmd.ctx, now, cmd.body.reason)
            else:
                after = await self._execute(conn, cmd.ctx, before, row, reserved, now)
            await _announce(conn, sql.save_decision(cmd.ctx.account_id, after), cmd.ctx, after, after.state, before)
            return after

        try:
            return await self.uow.write(cmd.ctx, Approval, work)
        except BaseException:
            await self.lifecycle.release(cmd.ctx, reserved)
            raise

    async def _execute(self, conn: asyncpg.Connection, decider: Caller, approval: Approval, row: Any, reserved: list, now) -> Approval:
        """Run the approved action as the key that asked, on the document the person saw; any
        refusal leaves the approval `failed` with the reason, and nothing of the action written."""
        account_id = decider.account_id
        as_key = Caller(account_id=account_id, key_id=approval.key_id, request_id=f"approval-{approval.id}")
        command = dict(row["command"] or {})
        if not await sql.key_active(conn, account_id, approval.key_id):
            return rules.decided(approval, "failed", decider, now, "The API key that asked was revoked; nothing was done.")
        doc = await documents_sql.get_document(conn, account_id, approval.document_id, lock=True)
        problem = rules.why_not_now(approval, doc, row["document_version"], doc.totals.gross if doc else approval.expected_total,
                                    (await self._preview(conn, as_key, approval.action, doc, command)).blocking_problems if doc else [])
        if problem is not None:
            return rules.decided(approval, "failed", decider, now, problem)
        try:
            async with conn.transaction():  # a savepoint: a refusal undoes the action only
                result = await self._run(conn, as_key, approval, command, reserved)
        except BillwireError as exc:
            await self.lifecycle.release(as_key, reserved)
            reserved.clear()
            return rules.decided(approval, "failed", decider, now, f"{exc.reply.code}: {exc.reply.message} Nothing was done.")
        return rules.decided(approval, "approved", decider, now, None, ApprovalResult(**{RESULT_OF[approval.action]: result}))

    async def _run(self, conn: asyncpg.Connection, ctx: Caller, approval: Approval, command: dict, reserved: list) -> Any:
        doc_id = approval.document_id
        match approval.action:
            case "finalize":
                return await self.documents.finalize_on(conn, DocumentById(ctx=ctx, id=doc_id))
            case "send":
                body = msgspec.convert(command.get("send") or {}, SendInput)
                return await self.lifecycle.send_on(conn, SendDocument(ctx=ctx, id=doc_id, body=body), reserved)
            case "cancel":
                body = msgspec.convert(command.get("cancel") or {}, CancelInput)
                return await self.lifecycle.cancel_on(conn, CancelDocument(ctx=ctx, id=doc_id, body=body))
            case "mark_unpaid":
                return await self.lifecycle.unpay_on(conn, ctx, doc_id, None)
            case "delete":
                return await self.documents.delete_on(conn, DocumentById(ctx=ctx, id=doc_id))
            case _:
                payment = msgspec.convert(command["payment"], PaymentInput)
                return await self.lifecycle.record_payment_on(conn, RecordPayment(ctx=ctx, id=doc_id, payment=payment))


async def _announce(conn: asyncpg.Connection, statement, ctx: Caller, approval: Approval, fact: str, before: Approval | None) -> None:
    """The approval's row, its audit entry and `approval.<fact>`, in one statement."""
    event = new_event(f"approval.{fact}", ctx.account_id, approval, approval.decided_at or approval.created_at)
    change = Change(entity="approval", entity_id=approval.id, action=fact, before=before, after=approval, event=event)
    await record(conn, statement, ctx, change)


async def expire_approvals(conn: asyncpg.Connection) -> int:
    """The sweep: pending approvals past their time become `expired`, each announced once."""
    now = utcnow()
    async with conn.transaction():
        rows = await sql.due_for_expiry(conn, now)
        for row in rows:
            ctx = Caller(account_id=row["account_id"], request_id="approval-expiry")
            before = rules.approval_of(row)
            after = rules.decided(before, "expired", ctx, now, "Nobody decided before it expired; nothing was done.")
            await _announce(conn, sql.save_decision(ctx.account_id, after), ctx, after, "expired", before)
    return len(rows)
