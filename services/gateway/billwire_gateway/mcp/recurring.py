"""MCP tools of recurring invoices (REST: controllers/recurring.py). The template's arguments
are the REST body's contract (the tool's input schema lists every field) and are checked as it
is. Creating previews the next runs unless confirmed; ending, which cannot be undone, too."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from billwire_gateway.calls import recurring as calls
from billwire_gateway.mcp.arguments import PAGING, Arguments, Confirm, IdempotencyKey
from billwire_gateway.mcp.toolbox import IRREVERSIBLE, READ, UPDATE, WRITE, Toolbox, derived, identity_of
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.previews import Problem
from billwire_shared.contracts.recurring import (
    ListRecurring,
    PreviewCount,
    PreviewRun,
    RecurringInput,
    RecurringInvoice,
    RecurringPreview,
)

# The list command's filters, with the tools' page.
RecurringFilters = derived("RecurringFilters", ListRecurring, without=("ctx", "limit", "offset"), extra=PAGING)


class RecurringId(Arguments, kw_only=True):
    recurring_id: UUID


class PreviewArguments(Arguments, kw_only=True):
    recurring_id: UUID | None = None
    template: RecurringInput | None = None
    count: PreviewCount = 6


class NewRecurring(Arguments, kw_only=True):
    template: RecurringInput
    confirm: Confirm = False
    idempotency_key: IdempotencyKey | None = None


class EndRecurring(RecurringId, kw_only=True):
    confirm: Confirm = False


class CreatePreview(msgspec.Struct, kw_only=True):
    """What creating would do: the next runs, nothing stored."""

    preview: bool = True
    changed: bool = False
    would: Literal["create"] = "create"
    next_runs: list[PreviewRun]
    to: list[str] = []  # with auto_send: who each invoice will be e-mailed to
    blocking_problems: list[Problem] = []  # why its runs would fail as it stands (each ends as run_failed)


class EndPreview(msgspec.Struct, kw_only=True):
    """What ending would do: the runs that would not happen any more."""

    preview: bool = True
    changed: bool = False
    would: Literal["end"] = "end"
    cancelled_runs: list[PreviewRun]


def register(tools: Toolbox) -> None:
    @tools.tool(READ, RecurringFilters, Page[RecurringInvoice])
    async def list_recurring_invoices(ctx: Context, args: RecurringFilters) -> Page[RecurringInvoice]:  # type: ignore[valid-type]
        """List recurring invoices (templates with a schedule), newest first."""
        return await tools.ask(ctx, calls.LIST, **msgspec.structs.asdict(args))

    @tools.tool(READ, RecurringId, RecurringInvoice)
    async def get_recurring_invoice(ctx: Context, args: RecurringId) -> RecurringInvoice:
        """One recurring invoice: its template, schedule, last and next run, and every invoice it generated."""
        return await tools.ask(ctx, calls.GET, args.recurring_id)

    @tools.tool(READ, PreviewArguments, RecurringPreview)
    async def preview_recurring_invoice(ctx: Context, args: PreviewArguments) -> RecurringPreview:
        """The next runs (dates, periods, line texts, totals) of a stored recurring invoice, or of a
        template before it is created."""
        if (args.recurring_id is None) == (args.template is None):
            raise ToolError("Give either recurring_id or template.")
        if args.recurring_id is not None:
            return await tools.ask(ctx, calls.PREVIEW, args.recurring_id, count=args.count)
        return await tools.ask(ctx, calls.PREVIEW_NEW, args.template, count=args.count)

    @tools.tool(WRITE, NewRecurring, CreatePreview, RecurringInvoice)
    async def create_recurring_invoice(ctx: Context, args: NewRecurring) -> CreatePreview | RecurringInvoice:
        """Create a recurring invoice: one invoice per period, issued by the scheduler. Without
        confirm=true this only previews the next six runs, who they are e-mailed to, and
        blocking_problems (why the runs would fail as it stands); nothing is stored. With
        auto_send the key needs the email:send scope."""
        body = args.template
        if body.auto_send is not None:
            scopes = identity_of(ctx.request_context.request).scopes
            if "email:send" not in scopes and "admin" not in scopes:
                raise ToolError("Permission denied: auto_send e-mails invoices and this API key lacks the `email:send` scope.")
        if not args.confirm:
            runs = await tools.ask(ctx, calls.PREVIEW_NEW, body, scope="write")
            return CreatePreview(next_runs=runs.runs, to=runs.to, blocking_problems=runs.blocking_problems)
        return await tools.ask(ctx, calls.CREATE, body, key=args.idempotency_key, scope="write")

    @tools.tool(UPDATE, RecurringId, RecurringInvoice)
    async def pause_recurring_invoice(ctx: Context, args: RecurringId) -> RecurringInvoice:
        """Pause: no invoices until resumed."""
        return await tools.ask(ctx, calls.PAUSE, args.recurring_id, scope="write")

    @tools.tool(UPDATE, RecurringId, RecurringInvoice)
    async def resume_recurring_invoice(ctx: Context, args: RecurringId) -> RecurringInvoice:
        """Resume a paused recurring invoice from the first period from today on (paused periods are not billed)."""
        return await tools.ask(ctx, calls.RESUME, args.recurring_id, scope="write")

    @tools.tool(IRREVERSIBLE, EndRecurring, EndPreview, RecurringInvoice)
    async def end_recurring_invoice(ctx: Context, args: EndRecurring) -> EndPreview | RecurringInvoice:
        """End a recurring invoice for good. Without confirm=true this previews the runs that would not happen."""
        if not args.confirm:
            runs = await tools.ask(ctx, calls.PREVIEW, args.recurring_id, scope="write")
            return EndPreview(cancelled_runs=runs.runs)
        return await tools.ask(ctx, calls.END, args.recurring_id, scope="write")
