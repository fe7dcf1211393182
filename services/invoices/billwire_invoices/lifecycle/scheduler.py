"""Periodic work of the invoices service. Every replica runs it; row locks (FOR UPDATE SKIP
LOCKED) and the `overdue_at IS NULL` condition make each invoice overdue exactly once, and
the same locks with one send row per invoice and level (a unique index) send each payment
reminder once; the same locks expire each pending approval once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.accounts.approvals.handlers import expire_approvals
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.email import reminders
from billwire_invoices.email import sql as email_sql
from billwire_invoices.lifecycle import rules, sql
from billwire_invoices.lifecycle.sending import Request, queue_send, release_quota, reserve_quota
from billwire_invoices.uow import Change, UnitOfWork, new_event, record
from billwire_shared.background import PeriodicLoop
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.email_settings import EmailTemplates, ReminderSettings
from billwire_shared.contracts.lifecycle import SendInput
from billwire_shared.errors import BillwireError, ErrorCode
from billwire_shared.ids import new_id

log = logging.getLogger("billwire.invoices.scheduler")


class OverdueScheduler(PeriodicLoop):
    task_name = "overdue-scheduler"
    failure = "overdue or reminder run failed; trying again later"
    log = log  # this module's logger

    def __init__(
        self, pool: asyncpg.Pool, interval: float, today: Callable[[], date] | None = None, batch: int = 200,
        request: Request | None = None,
    ) -> None:
        self.uow = UnitOfWork(pool)
        self.interval, self.batch, self.request = interval, batch, request
        self.today = today or (lambda: datetime.now(UTC).date())

    async def run_once(self) -> None:
        """Every invoice past due marked, then every reminder due sent, a batch at a time, and
        every pending approval past its time expired."""
        while await self.mark_overdue() == self.batch:
            pass
        async with self.uow.transaction() as conn:
            await expire_approvals(conn)
        refused: list[UUID] = []
        while await self.send_reminders(refused) == self.batch:
            pass

    async def mark_overdue(self) -> int:
        """Mark one batch of open invoices past their due date; emits `invoice.overdue` each."""
        async with self.uow.transaction() as conn:
            rows = await sql.overdue_candidates(conn, self.today(), self.batch)
            now = datetime.now(UTC)
            for row in rows:
                doc = msgspec.convert(row["data"], Document, strict=False)
                after = rules.marked_overdue(doc, now)
                ctx = Caller(account_id=row["account_id"], request_id="scheduler")
                event = new_event(f"{doc.type}.overdue", ctx.account_id, after, now)
                change = Change(entity="document", entity_id=doc.id, action="overdue", before=doc, after=after, event=event)
                await record(conn, documents_sql.save_document(ctx.account_id, after), ctx, change)
        if rows:
            log.info("marked %d invoice(s) overdue", len(rows))
        return len(rows)

    async def send_reminders(self, refused: list[UUID] | None = None) -> int:
        """Queue one batch of due payment reminders through the send path of POST .../send;
        the number queued. An account whose e-mail quota refuses joins `refused` and is tried
        again on a later run, its reminders not marked."""
        refused = [] if refused is None else refused
        queued: list[tuple[Caller, UUID]] = []  # quota reserved, queued in the batch's transaction
        try:
            await self._queue_reminders(refused, queued)
        except BaseException:
            for ctx, send_id in queued:  # counted, but the batch did not commit
                await release_quota(self.request, ctx, send_id)
            raise
        if queued:
            log.info("queued %d payment reminder(s)", len(queued))
        return len(queued)

    async def _queue_reminders(self, refused: list[UUID], queued: list[tuple[Caller, UUID]]) -> None:
        async with self.uow.transaction() as conn:
            today, now = self.today(), datetime.now(UTC)
            for row in await email_sql.reminder_candidates(conn, today, self.batch, refused):
                if row["account_id"] in refused:
                    continue
                doc = msgspec.convert(row["data"], Document, strict=False)
                settings = msgspec.convert(row["reminders"], ReminderSettings, strict=False)
                due = reminders.due_reminder(doc, settings, today)
                if due is None:
                    continue
                ctx = Caller(account_id=row["account_id"], request_id="scheduler")
                profile = msgspec.convert(row["profile"] or {}, Profile, strict=False)
                templates = msgspec.convert(row["email_templates"] or {}, EmailTemplates, strict=False)
                try:  # e.g. the client has no e-mail address: reported, and looked at again next run
                    request = rules.send_request(doc, SendInput(), profile, ctx.account_id, new_id(), now, templates, due)
                except BillwireError as exc:
                    reasons = "; ".join(d.message for d in exc.reply.details) or exc.reply.message
                    log.info("reminder %d of %s skipped: %s", due.level, doc.number, reasons)
                    continue
                try:
                    await reserve_quota(self.request, ctx, request.id)
                except BillwireError as exc:
                    if exc.reply.code != ErrorCode.EMAIL_QUOTA_EXCEEDED:
                        raise
                    log.info("reminders of account %s wait for tomorrow's e-mail quota", ctx.account_id)
                    refused.append(ctx.account_id)
                    continue
                queued.append((ctx, request.id))
                after = reminders.reminded(doc, due.level, now)
                change = Change(entity="document", entity_id=doc.id, action="reminder", before=doc, after=after)
                try:
                    async with conn.transaction():
                        await record(conn, documents_sql.save_document(ctx.account_id, after), ctx, change)
                        await queue_send(conn, ctx, request)
                except asyncpg.UniqueViolationError:  # the level was sent already: the index keeps it once
                    log.warning("reminder %d of %s was already sent", due.level, doc.number)
                    queued.pop()
                    await release_quota(self.request, ctx, request.id)
