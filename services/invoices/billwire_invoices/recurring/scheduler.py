"""The recurring scheduler: every replica runs it; each tick drafts (and, as the template says,
issues and e-mails) the document of every period that has come, and retries the runs that
could not be issued or sent.

Exactly once per (template, period): due templates are taken `FOR UPDATE SKIP LOCKED`, so two
replicas never work on the same template at once; a template's run rows, documents, events and
its next period commit in one transaction, so a replica killed mid-run leaves nothing behind
that the next tick would not redo; and the run row's primary key (template, period start)
refuses a second document for a period whatever else goes wrong.

Issuing or sending a period's document runs in a savepoint: when it is refused (no address,
quota, an invalid e-invoice) the draft stays, the run records why and `recurring_invoice.run_failed`
is announced; the next tick tries the same draft again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.drafts import issue
from billwire_invoices.email import sql as email_sql
from billwire_invoices.email import templates as templating
from billwire_invoices.lifecycle import rules as lifecycle
from billwire_invoices.lifecycle.sending import queue_send, release_quota, reserve_quota
from billwire_invoices.recurring import rules, sql
from billwire_invoices.uow import Change, UnitOfWork, new_event, record
from billwire_shared.background import PeriodicLoop
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.email_settings import EmailTemplates
from billwire_shared.contracts.lifecycle import SendInput
from billwire_shared.contracts.recurring import RecurringInvoice, RecurringRun, RunFailed
from billwire_shared.errors import BillwireError
from billwire_shared.ids import new_id

log = logging.getLogger("billwire.invoices.recurring")
Request = Callable[[str, bytes], Awaitable[bytes]]
Clock = Callable[[], datetime]


class Issuer(Protocol):
    """How a document change is saved with its audit row and event: the lifecycle wing's, so
    recurring documents take the normal path (issuing is documents.drafts.issue, as everywhere)."""

    async def _save(self, conn: asyncpg.Connection, ctx: Caller, before: Document | None, after: Document,
                    action: str, event_type: str | None) -> None: ...


def reason_of(exc: BillwireError) -> str:
    details = "; ".join(f"{d.field}: {d.message}" for d in exc.reply.details)
    return f"{exc.reply.code}: {exc.reply.message}" + (f" ({details})" if details else "")


def utc_clock() -> datetime:
    return datetime.now(UTC)


class RecurringScheduler(PeriodicLoop):
    task_name = "recurring-scheduler"
    failure = "recurring run failed; trying again next tick"
    log = log  # this module's logger

    def __init__(
        self, pool: asyncpg.Pool, issuer: Issuer, interval: float = 60.0, *, request: Request | None = None,
        clock: Clock = utc_clock, batch: int = 100, workers: int = 1,
    ) -> None:
        self.uow = UnitOfWork(pool)
        self.issuer, self.interval, self.request, self.clock, self.batch = issuer, interval, request, clock, batch
        self.workers = workers  # batches one replica generates at once, each in its own transaction

    async def run_once(self) -> None:
        await self.tick()

    async def tick(self) -> int:
        """One pass at the clock's now: every due period drafted, then every failed run tried
        once more; the number of documents created."""
        now = self.clock()
        seen: list[UUID] = []

        async def worker() -> int:
            created = 0
            while True:
                count, taken = await self.generate_batch(now, seen)
                created += count
                if taken < self.batch:
                    return created

        created = sum(await asyncio.gather(*(worker() for _ in range(self.workers))))
        while await self.retry_batch(now) == self.batch:
            pass
        if created:
            log.info("recurring: %d document(s) created", created)
        return created

    # -- generating ------------------------------------------------------------------------------

    async def generate_batch(self, now: datetime, seen: list[UUID]) -> tuple[int, int]:
        """Documents for one batch of due templates, in one transaction; (documents created,
        templates taken). `seen` collects the templates that are still due after their turn (a
        client is gone, a product deleted, a very long outage), so a tick takes each once."""
        reserved: list[tuple[Caller, UUID]] = []
        try:
            async with self.uow.transaction() as conn:
                rows = await conn.fetch(
                    "SELECT t.account_id, t.data, a.profile FROM recurring_invoices t JOIN accounts a ON a.id = t.account_id"
                    " WHERE t.status = 'active' AND t.next_run_on <= $1 AND NOT (t.id = ANY($3::uuid[]))"
                    " ORDER BY t.next_run_on, t.id LIMIT $2 FOR UPDATE OF t SKIP LOCKED",
                    now.date(), self.batch, seen,
                ) if seen else await sql.due_templates(conn, now.date(), self.batch)
                created = 0
                for row in rows:
                    template = sql.template_of(row["data"])
                    profile = msgspec.convert(row["profile"] or {}, Profile, strict=False)
                    created += await self._generate(conn, row["account_id"], template, profile, now, reserved, seen)
                return created, len(rows)
        except BaseException:
            for ctx, send_id in reserved:  # counted, but the transaction that queued them did not commit
                await release_quota(self.request, ctx, send_id)
            raise

    async def _generate(
        self, conn: asyncpg.Connection, account_id: UUID, template: RecurringInvoice, profile: Profile, now: datetime,
        reserved: list[tuple[Caller, UUID]], seen: list[UUID],
    ) -> int:
        ctx = Caller(account_id=account_id, request_id=f"recurring:{template.id}")
        today = now.date()
        indexes = rules.due(template.schedule, template.next_index, today, template.catch_up)
        client = await documents_sql.get_client(conn, account_id, template.client_id)
        products = await documents_sql.get_products(conn, account_id, [line.product_id for line in template.lines if line.product_id])
        created, next_index, last_run_on, failure = 0, template.next_index, template.last_run_on, None
        for index in indexes:
            if client is None:
                failure = f"client {template.client_id} was deleted; edit the template to bill another client"
                break
            try:
                draft = rules.draft_for(template, index, client, profile, products, new_id(), today, now)
            except BillwireError as exc:
                failure = reason_of(exc)
                break
            run = RecurringRun(
                period=draft.period, run_on=rules.run_day(template.schedule, index), document_id=draft.id, state="created",
                created_at=now, updated_at=now,
            )
            next_index, last_run_on = index + 1, run.run_on
            if not await sql.claim_run(conn, account_id, template.id, run):
                log.warning("recurring %s: period %s has its document already", template.id, run.period.start)
                continue
            await self.issuer._save(conn, ctx, None, draft, "create", "invoice.created")
            created += 1
            if template.auto_finalize or template.auto_send is not None:
                await self._complete(conn, ctx, template, run, draft, profile, now, reserved)
        if failure is not None:
            log.warning("recurring %s cannot draft its next period: %s", template.id, failure)
        after = msgspec.structs.replace(
            template, next_index=next_index, next_run_on=rules.next_run_on(template.schedule, next_index),
            last_run_on=last_run_on, runs_count=template.runs_count + created, last_failure=failure,
        )
        if after.next_run_on is None:
            after = msgspec.structs.replace(after, status="ended", updated_at=now)
        if after.next_run_on is not None and after.next_run_on <= today:
            seen.append(template.id)
        statement = sql.save_template(account_id, after)
        if after.status == "ended":
            event = new_event("recurring_invoice.ended", account_id, after, now)
            change = Change(entity="recurring_invoice", entity_id=template.id, action="end", before=template, after=after, event=event)
            await record(conn, statement, ctx, change)
        else:
            await conn.execute(statement[0], *statement[1])
        return created

    async def _complete(
        self, conn: asyncpg.Connection, ctx: Caller, template: RecurringInvoice, run: RecurringRun, doc: Document,
        profile: Profile, now: datetime, reserved: list[tuple[Caller, UUID]],
    ) -> RecurringRun:
        """Issue the period's draft and queue its e-mail, as the template says, in a savepoint; a
        refusal leaves the draft, records the reason on the run and announces it."""
        taken: list[UUID] = []
        try:
            async with conn.transaction():
                if doc.status == "draft":
                    issued = await issue(conn, ctx.account_id, doc, profile)
                    await self.issuer._save(conn, ctx, doc, issued, "finalize", "invoice.finalized")
                    doc = issued
                state = "finalized"
                if template.auto_send is not None:
                    await self._queue_email(conn, ctx, template, doc, profile, now, taken)
                    state = "queued"
                after = msgspec.structs.replace(run, state=state, failure=None, number=doc.number, updated_at=now)
                await conn.execute(*_flat(sql.save_run(template.id, after)))
        except BillwireError as exc:
            for send_id in taken:
                await release_quota(self.request, ctx, send_id)
            return await self._failed(conn, ctx, template, run, reason_of(exc), now)
        reserved.extend((ctx, send_id) for send_id in taken)
        return after

    async def _queue_email(
        self, conn: asyncpg.Connection, ctx: Caller, template: RecurringInvoice, doc: Document, profile: Profile,
        now: datetime, taken: list[UUID],
    ) -> None:
        assert template.auto_send is not None and doc.period is not None
        _, templates = await email_sql.get_profile_and_templates(conn, ctx.account_id)
        language = doc.language if doc.language in templating.TITLES else "en"
        values = rules.period_values(template.schedule, doc.period, language)
        document_values = templating.values_of(doc, profile, language)

        def text(given: str | None) -> str | None:
            return None if given is None else templating.render(rules.expand(given, values) or "", document_values)

        auto = template.auto_send
        body = SendInput(recipient=auto.recipient, cc=list(auto.cc), subject=text(auto.subject), message=text(auto.message))
        request = lifecycle.send_request(doc, body, profile, ctx.account_id, new_id(), now, templates or EmailTemplates())
        await reserve_quota(self.request, ctx, request.id)
        taken.append(request.id)
        await queue_send(conn, ctx, request)

    async def _failed(
        self, conn: asyncpg.Connection, ctx: Caller, template: RecurringInvoice, run: RecurringRun, reason: str, now: datetime,
    ) -> RecurringRun:
        """Record why a run could not finish; announced when it first fails and when the reason changes."""
        after = msgspec.structs.replace(run, state="failed", failure=reason, updated_at=now)
        statement = sql.save_run(template.id, after)
        log.info("recurring %s, period %s: %s", template.id, run.period.start, reason)
        if reason == run.failure:
            await conn.execute(*_flat(statement))
            return after
        failed = RunFailed(
            recurring_id=template.id, document_id=run.document_id, period=run.period, run_on=run.run_on, reason=reason,
            attempts=after.attempts,
        )
        event = new_event("recurring_invoice.run_failed", ctx.account_id, failed, now)
        change = Change(entity="recurring_run", entity_id=run.document_id, action="run-failed", after=failed, event=event)
        await record(conn, statement, ctx, change)
        return after

    # -- retrying --------------------------------------------------------------------------------

    async def retry_batch(self, now: datetime) -> int:
        """One more try for one batch of failed runs (their drafts exist); the runs looked at."""
        reserved: list[tuple[Caller, UUID]] = []
        try:
            async with self.uow.transaction() as conn:
                rows = await sql.failed_runs(conn, now, self.batch)
                for row in rows:
                    await self._retry(conn, row, now, reserved)
                return len(rows)
        except BaseException:
            for ctx, send_id in reserved:
                await release_quota(self.request, ctx, send_id)
            raise

    async def _retry(self, conn: asyncpg.Connection, row: asyncpg.Record, now: datetime, reserved: list[tuple[Caller, UUID]]) -> None:
        account_id = row["account_id"]
        ctx = Caller(account_id=account_id, request_id=f"recurring:{row['recurring_id']}")
        template = sql.template_of(row["template"])
        run = msgspec.structs.replace(sql.run_from_row(row), attempts=row["attempts"] + 1)
        doc = await documents_sql.get_document(conn, account_id, run.document_id, lock=True)
        if doc is None or doc.status == "cancelled":
            abandoned = msgspec.structs.replace(run, state="abandoned", updated_at=now)
            await conn.execute(*_flat(sql.save_run(template.id, abandoned)))
            return
        profile = msgspec.convert(row["profile"] or {}, Profile, strict=False)
        handled = doc.sent_at is not None if template.auto_send is not None else doc.status != "draft"
        if handled:  # issued (or sent) by hand meanwhile
            state = "queued" if template.auto_send is not None else "finalized"
            done = msgspec.structs.replace(run, state=state, failure=None, number=doc.number, updated_at=now)
            await conn.execute(*_flat(sql.save_run(template.id, done)))
            return
        doc = await self._with_current_client(conn, ctx, doc, now)
        await self._complete(conn, ctx, template, run, doc, profile, now, reserved)

    async def _with_current_client(self, conn: asyncpg.Connection, ctx: Caller, doc: Document, now: datetime) -> Document:
        """A draft takes its client as the client is now (a fixed address is what a retry waits for)."""
        if doc.status != "draft" or doc.client_id is None:
            return doc
        client = await documents_sql.get_client(conn, ctx.account_id, doc.client_id)
        if client is None or document_rules.snapshot_of(client) == doc.client:
            return doc
        after = msgspec.structs.replace(doc, client=document_rules.snapshot_of(client), version=doc.version + 1, updated_at=now)
        await self.issuer._save(conn, ctx, doc, after, "update", "invoice.updated")
        return after


def _flat(statement: documents_sql.Statement) -> list:
    query, args = statement
    return [query, *args]
