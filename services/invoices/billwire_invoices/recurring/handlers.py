"""Bus handlers of recurring invoices: create, read, edit, preview, pause, resume, end, delete.

No `from __future__ import annotations`: see documents/handlers.py (fast-depends resolves
the annotations of these methods to decode the messages).
"""

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts.approvals.rules import hold_automatic_issuing
from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.limits import DocumentLimits, size_problems
from billwire_invoices.recurring import rules, sql
from billwire_invoices.recurring.scheduler import Clock, utc_clock
from billwire_invoices.uow import UnitOfWork
from billwire_shared import subjects
from billwire_shared.contracts.common import ById, Caller, Deleted, Page
from billwire_shared.contracts.recurring import (
    CreateRecurring,
    ListRecurring,
    PreviewRecurring,
    PreviewRecurringInput,
    PreviewRun,
    RecurringInput,
    RecurringInvoice,
    RecurringPreview,
    UpdateRecurring,
)
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, found
from billwire_shared.ids import new_id


def _conflict(message: str) -> BillwireError:
    return BillwireError(ErrorCode.INVALID_DOCUMENT_STATE, message)


def _content_problems(values: dict) -> list[FieldError]:
    """What the contract's types cannot say about a template's content and schedule."""
    problems = rules.schedule_problems(values["schedule"]) + rules.currency_problems(values.get("currency"))
    if problem := document_rules.rate_problem(values.get("discount_rate")):
        problems.append(FieldError(field="discount_rate", message=problem))
    return problems


class RecurringHandlers:
    """One method per recurring RPC; writes run in one transaction with their audit row and event."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock = utc_clock, limits: DocumentLimits | None = None) -> None:
        self.uow = UnitOfWork(pool)
        self.clock = clock
        self.limits = limits or DocumentLimits()  # its documents' size, as for any draft

    async def _locked(self, conn: asyncpg.Connection, ctx: Caller, template_id: UUID) -> RecurringInvoice:
        template = await sql.get_template(conn, ctx.account_id, template_id, lock=True)
        return found(template, ErrorCode.NOT_FOUND, "Recurring invoice", template_id)

    async def _check_content(self, conn: asyncpg.Connection, account_id: UUID, template: RecurringInvoice) -> None:
        """The client is this account's, auto-send has a recipient, and the next period's
        document can be drafted (every product exists, every line is complete)."""
        profile, client = await documents_sql.get_profile_and_client(conn, account_id, template.client_id)
        if client is None:
            raise BillwireError(
                ErrorCode.CLIENT_NOT_FOUND, f"Client {template.client_id} was not found.",
                [FieldError(field="client_id", message="no such client in this account")], status=422,
            )
        document_rules.check(rules.auto_send_problems(template.auto_send, client.email))
        products = await documents_sql.get_products(conn, account_id, [line.product_id for line in template.lines if line.product_id])
        index = template.next_index
        rules.draft_for(template, index, client, profile, products, new_id(), rules.run_day(template.schedule, index), self.clock())

    async def _store(
        self, conn: asyncpg.Connection, ctx: Caller, before: RecurringInvoice | None, after: RecurringInvoice, action: str,
        event_type: str | None,
    ) -> None:
        statement = sql.save_template(ctx.account_id, after) if before else sql.insert_template(ctx.account_id, after)
        await self.uow.apply(conn, statement, ctx, "recurring_invoice", after.id, action, before, after, event_type, after.updated_at)

    # -- create, read, edit, delete ---------------------------------------------------------------

    def _new_template(self, body: RecurringInput) -> RecurringInvoice:
        """A template from its input, not stored; the problems the types cannot say are 422s."""
        document_rules.check(_content_problems(msgspec.structs.asdict(body)) + size_problems(body.lines, self.limits))
        now = self.clock()
        schedule = rules.schedule_of(body.schedule)
        return RecurringInvoice(
            **(msgspec.structs.asdict(body) | {"schedule": schedule}), id=new_id(), status="active", next_index=0,
            next_run_on=rules.next_run_on(schedule, 0), created_at=now, updated_at=now,
        )

    @answers(subjects.RECURRING_CREATE)
    async def create_recurring(self, cmd: CreateRecurring) -> RecurringInvoice:
        template = self._new_template(cmd.template)
        hold_automatic_issuing(cmd.ctx, template.auto_finalize, template.auto_send is not None)

        async def work(conn: asyncpg.Connection) -> RecurringInvoice:
            await self._check_content(conn, cmd.ctx.account_id, template)
            await self._store(conn, cmd.ctx, None, template, "create", "recurring_invoice.created")
            return template

        return await self.uow.write(cmd.ctx, RecurringInvoice, work)

    @answers(subjects.RECURRING_GET)
    async def get_recurring(self, cmd: ById) -> RecurringInvoice:
        async def work(conn: asyncpg.Connection) -> RecurringInvoice:
            template = found(await sql.get_template(conn, cmd.ctx.account_id, cmd.id), ErrorCode.NOT_FOUND, "Recurring invoice", cmd.id)
            return msgspec.structs.replace(template, runs=await sql.runs_of(conn, cmd.ctx.account_id, cmd.id))

        return await self.uow.read(work)

    @answers(subjects.RECURRING_LIST)
    async def list_recurring(self, cmd: ListRecurring) -> Page[RecurringInvoice]:
        return await self.uow.read_page(
            cmd, lambda conn: sql.list_templates(conn, cmd.ctx.account_id, cmd.status, cmd.client_id, cmd.limit, cmd.offset)
        )

    @answers(subjects.RECURRING_UPDATE)
    async def update_recurring(self, cmd: UpdateRecurring) -> RecurringInvoice:
        patch = cmd.patch

        async def work(conn: asyncpg.Connection) -> RecurringInvoice:
            before = await self._locked(conn, cmd.ctx, cmd.id)
            values = document_rules.merge(before, patch)
            document_rules.check(_content_problems(values) + size_problems(patch.lines, self.limits))
            now = self.clock()
            values.update(version=before.version + 1, updated_at=now)
            after = msgspec.convert(values, RecurringInvoice, from_attributes=True)
            if patch.schedule is not msgspec.UNSET:  # resume after the last period billed, never twice
                index = rules.index_after(after.schedule, before.last_run_on)
                after = msgspec.structs.replace(after, next_index=index)
            if after.status != "ended":
                after = msgspec.structs.replace(after, next_run_on=rules.next_run_on(after.schedule, after.next_index))
            hold_automatic_issuing(cmd.ctx, after.auto_finalize, after.auto_send is not None)
            await self._check_content(conn, cmd.ctx.account_id, after)
            await self._store(conn, cmd.ctx, before, after, "update", "recurring_invoice.updated")
            if after.status != "ended" and after.next_run_on is None:  # the edited schedule is over
                ended = msgspec.structs.replace(after, status="ended")
                await self._store(conn, cmd.ctx, after, ended, "end", "recurring_invoice.ended")
                after = ended
            return after

        return await self.uow.write(cmd.ctx, RecurringInvoice, work)

    @answers(subjects.RECURRING_DELETE)
    async def delete_recurring(self, cmd: ById) -> Deleted:
        """The template and its run history go; the documents it generated stay (with their recurring_id)."""

        async def work(conn: asyncpg.Connection) -> Deleted:
            before = await self._locked(conn, cmd.ctx, cmd.id)
            statement = sql.delete_template(cmd.ctx.account_id, cmd.id)
            await self.uow.apply(conn, statement, cmd.ctx, "recurring_invoice", cmd.id, "delete", before, None,
                              "recurring_invoice.deleted", self.clock())
            return Deleted(id=cmd.id)

        return await self.uow.write(cmd.ctx, Deleted, work)

    # -- the schedule's state ------------------------------------------------------------------------

    async def _transition(self, cmd: ById, change) -> RecurringInvoice:
        async def work(conn: asyncpg.Connection) -> RecurringInvoice:
            before = await self._locked(conn, cmd.ctx, cmd.id)
            now = self.clock()
            after, action = change(before, now)
            if after is before:
                return before
            after = msgspec.structs.replace(after, version=before.version + 1, updated_at=now)
            await self._store(conn, cmd.ctx, before, after, action, f"recurring_invoice.{action}")
            return after

        return await self.uow.write(cmd.ctx, RecurringInvoice, work)

    @answers(subjects.RECURRING_PAUSE)
    async def pause_recurring(self, cmd: ById) -> RecurringInvoice:
        def change(template: RecurringInvoice, now: datetime) -> tuple[RecurringInvoice, str]:
            if template.status == "ended":
                raise _conflict("An ended recurring invoice cannot be paused.")
            return (template if template.status == "paused" else msgspec.structs.replace(template, status="paused")), "paused"

        return await self._transition(cmd, change)

    @answers(subjects.RECURRING_RESUME)
    async def resume_recurring(self, cmd: ById) -> RecurringInvoice:
        """Periods whose day passed while paused are not billed: the schedule resumes at the
        first period from today on."""

        def change(template: RecurringInvoice, now: datetime) -> tuple[RecurringInvoice, str]:
            if template.status == "ended":
                raise _conflict("An ended recurring invoice cannot be resumed; create a new one.")
            if template.status == "active":
                return template, "resumed"
            index = template.next_index
            while rules.in_schedule(template.schedule, index) and rules.run_day(template.schedule, index) < now.date():
                index += 1
            next_run_on = rules.next_run_on(template.schedule, index)
            status = "active" if next_run_on is not None else "ended"
            return msgspec.structs.replace(template, status=status, next_index=index, next_run_on=next_run_on), "resumed"

        return await self._transition(cmd, change)

    @answers(subjects.RECURRING_END)
    async def end_recurring(self, cmd: ById) -> RecurringInvoice:
        def change(template: RecurringInvoice, now: datetime) -> tuple[RecurringInvoice, str]:
            if template.status == "ended":
                return template, "ended"
            return msgspec.structs.replace(template, status="ended", next_run_on=None), "ended"

        return await self._transition(cmd, change)

    # -- preview -------------------------------------------------------------------------------------

    async def _preview(self, conn: asyncpg.Connection, account_id: UUID, template: RecurringInvoice, count: int) -> RecurringPreview:
        """The next runs as they would be generated now: dates, period, line texts and totals."""
        if template.status == "ended":
            return RecurringPreview(id=template.id, runs=[])
        profile, client = await documents_sql.get_profile_and_client(conn, account_id, template.client_id)
        if client is None:
            raise BillwireError(
                ErrorCode.CLIENT_NOT_FOUND, f"Client {template.client_id} was not found.",
                [FieldError(field="client_id", message="no such client in this account")], status=422,
            )
        products = await documents_sql.get_products(conn, account_id, [line.product_id for line in template.lines if line.product_id])
        now, runs, problems = self.clock(), [], []
        for index in rules.upcoming(template.schedule, template.next_index, count):
            run_on = rules.run_day(template.schedule, index)
            draft = rules.draft_for(template, index, client, profile, products, new_id(), run_on, now)
            problems = problems or rules.run_problems(template, draft, profile, client)
            runs.append(PreviewRun(
                run_on=run_on, period=draft.period, descriptions=[line.description for line in draft.lines],
                currency=draft.currency, totals=draft.totals,
            ))
        send = template.auto_send
        to = [address for address in [send.recipient or client.email] if address] if send is not None else []
        return RecurringPreview(id=template.id, runs=runs, to=to, blocking_problems=problems)

    @answers(subjects.RECURRING_PREVIEW)
    async def preview_recurring(self, cmd: PreviewRecurring) -> RecurringPreview:
        async def work(conn: asyncpg.Connection) -> RecurringPreview:
            template = found(await sql.get_template(conn, cmd.ctx.account_id, cmd.id), ErrorCode.NOT_FOUND, "Recurring invoice", cmd.id)
            return await self._preview(conn, cmd.ctx.account_id, template, cmd.count)

        return await self.uow.read(work)

    @answers(subjects.RECURRING_PREVIEW_INPUT)
    async def preview_recurring_input(self, cmd: PreviewRecurringInput) -> RecurringPreview:
        """What a template would bill before it is created (the same checks as a create)."""
        template = self._new_template(cmd.template)

        async def work(conn: asyncpg.Connection) -> RecurringPreview:
            await self._check_content(conn, cmd.ctx.account_id, template)
            return await self._preview(conn, cmd.ctx.account_id, template, cmd.count)

        return await self.uow.read(work)
