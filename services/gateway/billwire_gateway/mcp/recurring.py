"""MCP tools of recurring invoices (REST: controllers/recurring.py). The template's arguments
are typed (the tool's input schema lists every field) and checked exactly as the REST body is.
Creating previews the next runs unless confirmed; ending, which cannot be undone, too."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from typing_extensions import NotRequired, TypedDict

from billwire_gateway.mcp.toolbox import IRREVERSIBLE, READ, UPDATE, WRITE, Result, Toolbox, decode, identity_of
from billwire_shared import subjects
from billwire_shared.contracts.common import ById
from billwire_shared.contracts.recurring import (
    CreateRecurring,
    ListRecurring,
    PreviewRecurring,
    PreviewRecurringInput,
    RecurringInput,
)


class LineArgument(TypedDict):
    """A line: a product by id, or description and unit_price; decimals as strings."""

    description: NotRequired[str]
    quantity: NotRequired[str]
    unit: NotRequired[str]
    unit_price: NotRequired[str]
    tax_rate: NotRequired[str]
    discount_rate: NotRequired[str]
    product_id: NotRequired[str]


class ScheduleArgument(TypedDict):
    """When the invoices are issued: from `start`, every `interval` weeks/months/quarters/years."""

    frequency: Literal["weekly", "monthly", "quarterly", "yearly"]
    start: str  # YYYY-MM-DD
    interval: NotRequired[int]
    day_of_month: NotRequired[int]  # 1..31, clamped to the month's end; not for weekly
    end_date: NotRequired[str]
    max_runs: NotRequired[int]


class AutoSendArgument(TypedDict):
    """E-mail each invoice; subject and message default to the account's e-mail template."""

    recipient: NotRequired[str]
    cc: NotRequired[list[str]]
    subject: NotRequired[str]
    message: NotRequired[str]


class RecurringArgument(TypedDict):
    """A recurring invoice. Texts may use {period} {month} {year} {quarter} {period_start} {period_end}."""

    client_id: str
    lines: list[LineArgument]
    schedule: ScheduleArgument
    name: NotRequired[str]
    currency: NotRequired[str]
    discount_rate: NotRequired[str]
    introduction: NotRequired[str]
    notes: NotRequired[str]
    language: NotRequired[Literal["de", "en"]]
    due_days: NotRequired[int]
    export_type: NotRequired[Literal["pdf", "factur-x", "xrechnung"]]
    vat_regulation: NotRequired[Literal["standard", "reverse_charge", "intra_community_supply", "export", "tax_exempt"]]
    auto_finalize: NotRequired[bool]
    auto_send: NotRequired[AutoSendArgument]
    catch_up: NotRequired[Literal["all", "latest"]]


def _template(value: dict[str, Any]) -> RecurringInput:
    return decode(dict(value), RecurringInput, "template")


def register(tools: Toolbox) -> None:
    @tools.tool(READ)
    async def list_recurring_invoices(
        ctx: Context, status: Literal["active", "paused", "ended"] | None = None, client_id: UUID | None = None,
        limit: int = 20, offset: int = 0,
    ) -> Result:
        """List recurring invoices (templates with a schedule), newest first."""
        command = lambda k: ListRecurring(ctx=k, status=status, client_id=client_id, limit=limit, offset=offset)  # noqa: E731
        return {"result": await tools.call(ctx, subjects.RECURRING_LIST, command)}

    @tools.tool(READ)
    async def get_recurring_invoice(ctx: Context, recurring_id: UUID) -> Result:
        """One recurring invoice: its template, schedule, last and next run, and every invoice it generated."""
        return {"result": await tools.call(ctx, subjects.RECURRING_GET, lambda k: ById(ctx=k, id=recurring_id))}

    @tools.tool(READ)
    async def preview_recurring_invoice(
        ctx: Context, recurring_id: UUID | None = None, template: RecurringArgument | None = None, count: int = 6,
    ) -> Result:
        """The next runs (dates, periods, line texts, totals) of a stored recurring invoice, or of a
        template before it is created."""
        if (recurring_id is None) == (template is None):
            raise ToolError("Give either recurring_id or template.")
        if recurring_id is not None:
            command = lambda k: PreviewRecurring(ctx=k, id=recurring_id, count=count)  # noqa: E731
            return {"result": await tools.call(ctx, subjects.RECURRING_PREVIEW, command)}
        body = _template(template or {})
        command = lambda k: PreviewRecurringInput(ctx=k, template=body, count=count)  # noqa: E731
        return {"result": await tools.call(ctx, subjects.RECURRING_PREVIEW_INPUT, command)}

    @tools.tool(WRITE)
    async def create_recurring_invoice(
        ctx: Context, template: RecurringArgument, confirm: bool = False, idempotency_key: str | None = None,
    ) -> Result:
        """Create a recurring invoice: one invoice per period, issued by the scheduler. Without
        confirm=true this only previews the next six runs (nothing is stored); with auto_send the
        key needs the email:send scope."""
        body = _template(template)
        if body.auto_send is not None:
            scopes = identity_of(ctx.request_context.request).scopes
            if "email:send" not in scopes and "admin" not in scopes:
                raise ToolError("Permission denied: auto_send e-mails invoices and this API key lacks the `email:send` scope.")
        if not confirm:
            command = lambda k: PreviewRecurringInput(ctx=k, template=body)  # noqa: E731
            runs = await tools.call(ctx, subjects.RECURRING_PREVIEW_INPUT, command, scope="write")
            return {"result": {"preview": True, "would": "create", "changed": False, "next_runs": runs["runs"]}}
        create = lambda k: CreateRecurring(ctx=k, template=body)  # noqa: E731
        return {"result": await tools.call(ctx, subjects.RECURRING_CREATE, create, key=idempotency_key, scope="write")}

    @tools.tool(UPDATE)
    async def pause_recurring_invoice(ctx: Context, recurring_id: UUID) -> Result:
        """Pause: no invoices until resumed."""
        return {"result": await tools.call(ctx, subjects.RECURRING_PAUSE, lambda k: ById(ctx=k, id=recurring_id), scope="write")}

    @tools.tool(UPDATE)
    async def resume_recurring_invoice(ctx: Context, recurring_id: UUID) -> Result:
        """Resume a paused recurring invoice from the first period from today on (paused periods are not billed)."""
        return {"result": await tools.call(ctx, subjects.RECURRING_RESUME, lambda k: ById(ctx=k, id=recurring_id), scope="write")}

    @tools.tool(IRREVERSIBLE)
    async def end_recurring_invoice(ctx: Context, recurring_id: UUID, confirm: bool = False) -> Result:
        """End a recurring invoice for good. Without confirm=true this previews the runs that would not happen."""
        if not confirm:
            command = lambda k: PreviewRecurring(ctx=k, id=recurring_id)  # noqa: E731
            runs = await tools.call(ctx, subjects.RECURRING_PREVIEW, command, scope="write")
            return {"result": {"preview": True, "would": "end", "changed": False, "cancelled_runs": runs["runs"]}}
        return {"result": await tools.call(ctx, subjects.RECURRING_END, lambda k: ById(ctx=k, id=recurring_id), scope="write")}
