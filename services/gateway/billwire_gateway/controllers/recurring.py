"""Recurring invoices: templates with a schedule that the invoices service issues once per period.
Reading needs `read`, changing needs `write`; a template that e-mails its invoices
(`auto_send`) also needs `email:send`, as sending one by hand does."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from billwire_gateway.bus import ApiError
from billwire_gateway.deps import BusDep, CallerDep, identity_of, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.common import MAX_OFFSET, ById, Page
from billwire_shared.contracts.recurring import (
    AutoSendInput,
    CreateRecurring,
    ListRecurring,
    PreviewRecurring,
    PreviewRecurringInput,
    RecurringInput,
    RecurringInvoice,
    RecurringPatch,
    RecurringPreview,
    RecurringStatus,
    UpdateRecurring,
)
from billwire_shared.errors import ErrorCode, ErrorReply

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
Count = Annotated[int, QueryParameter(ge=1, le=24, description="how many upcoming runs")]
StatusFilter = Annotated[RecurringStatus | None, QueryParameter(name="status", description="active, paused or ended")]

PLACEHOLDERS = (
    "Line descriptions, introduction, notes and the auto-send subject and message may use {period}, {month}, "
    "{year}, {quarter}, {period_start} and {period_end}, expanded per period in the document's language "
    "(\"Retainer {month} {year}\" is \"Retainer März 2026\" on a German invoice). Exactly one invoice is made "
    "per period; each shows `recurring_id` and `period`."
)


def _may_send(request: Request, wants_send: bool) -> None:
    scopes = identity_of(request).scopes
    if wants_send and "email:send" not in scopes and "admin" not in scopes:
        raise ApiError(ErrorReply(code=ErrorCode.FORBIDDEN, message="auto_send e-mails invoices: this API key lacks the `email:send` scope."))


class RecurringController(Controller):
    path = "/recurring-invoices"
    tags = ["recurring invoices"]

    @post(summary="Create a recurring invoice", description=PLACEHOLDERS)
    async def create_recurring(
        self, request: Request, data: JSONBody[RecurringInput], caller: CallerDep, bus: BusDep
    ) -> Response[RecurringInvoice]:
        _may_send(request, data.auto_send is not None)
        return json_reply(await bus.call(subjects.RECURRING_CREATE, CreateRecurring(ctx=caller, template=data)), 201)

    @post("/preview", status_code=200, opt={"scope": "read"}, summary="The next runs of a recurring invoice before it is created (nothing is stored)")
    async def preview_new_recurring(
        self, data: JSONBody[RecurringInput], caller: CallerDep, bus: BusDep, count: Count = 6
    ) -> Response[RecurringPreview]:
        return json_reply(await bus.call(subjects.RECURRING_PREVIEW_INPUT, PreviewRecurringInput(ctx=caller, template=data, count=count)))

    @get(summary="List recurring invoices, newest first")
    async def list_recurring(
        self, caller: CallerDep, bus: BusDep, recurring_status: StatusFilter = None, client_id: FromQuery[UUID | None] = None,
        limit: Limit = 50, offset: Offset = 0,
    ) -> Response[Page[RecurringInvoice]]:
        query = ListRecurring(ctx=caller, status=recurring_status, client_id=client_id, limit=limit, offset=offset)
        return json_reply(await bus.call(subjects.RECURRING_LIST, query))

    @get("/{recurring_id:uuid}", summary="A recurring invoice with its last and next run and every document it generated")
    async def get_recurring(self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[RecurringInvoice]:
        return json_reply(await bus.call(subjects.RECURRING_GET, ById(ctx=caller, id=recurring_id)))

    @patch("/{recurring_id:uuid}", summary="Change a recurring invoice; applies from the next run")
    async def update_recurring(
        self, request: Request, recurring_id: FromPath[UUID], data: JSONBody[RecurringPatch], caller: CallerDep, bus: BusDep
    ) -> Response[RecurringInvoice]:
        _may_send(request, isinstance(data.auto_send, AutoSendInput))
        return json_reply(await bus.call(subjects.RECURRING_UPDATE, UpdateRecurring(ctx=caller, id=recurring_id, patch=data)))

    @delete("/{recurring_id:uuid}", summary="Delete a recurring invoice; the invoices it generated stay")
    async def delete_recurring(self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subjects.RECURRING_DELETE, ById(ctx=caller, id=recurring_id))

    @get("/{recurring_id:uuid}/preview", summary="The next runs: dates, periods, line texts and totals")
    async def preview_recurring(
        self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep, count: Count = 6
    ) -> Response[RecurringPreview]:
        return json_reply(await bus.call(subjects.RECURRING_PREVIEW, PreviewRecurring(ctx=caller, id=recurring_id, count=count)))

    @post("/{recurring_id:uuid}/pause", status_code=200, summary="Pause: no runs until resumed")
    async def pause_recurring(self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[RecurringInvoice]:
        return json_reply(await bus.call(subjects.RECURRING_PAUSE, ById(ctx=caller, id=recurring_id)))

    @post("/{recurring_id:uuid}/resume", status_code=200, summary="Resume from the first period from today on")
    async def resume_recurring(self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[RecurringInvoice]:
        return json_reply(await bus.call(subjects.RECURRING_RESUME, ById(ctx=caller, id=recurring_id)))

    @post("/{recurring_id:uuid}/end", status_code=200, summary="End: no more runs, ever")
    async def end_recurring(self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[RecurringInvoice]:
        return json_reply(await bus.call(subjects.RECURRING_END, ById(ctx=caller, id=recurring_id)))
