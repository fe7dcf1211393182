"""Recurring invoices: templates with a schedule that the invoices service issues once per period.
Reading needs `read`, changing needs `write`; a template that e-mails its invoices
(`auto_send`) also needs `email:send`, as sending one by hand does."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from billwire_gateway.bus import ApiError
from billwire_gateway.calls import recurring as calls
from billwire_gateway.controllers.items import act_on_one, delete_one, read_one
from billwire_gateway.deps import BusDep, CallerDep, Limit, Offset, identity_of, json_reply
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.recurring import (
    AutoSendInput,
    RecurringInput,
    RecurringInvoice,
    RecurringPatch,
    RecurringPreview,
    RecurringStatus,
)
from billwire_shared.errors import ErrorCode, ErrorReply

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
        return json_reply(await calls.CREATE.ask(bus, caller, data), 201)

    @post("/preview", status_code=200, opt={"scope": "read"}, summary="The next runs of a recurring invoice before it is created (nothing is stored)")
    async def preview_new_recurring(
        self, data: JSONBody[RecurringInput], caller: CallerDep, bus: BusDep, count: Count = 6
    ) -> Response[RecurringPreview]:
        return json_reply(await calls.PREVIEW_NEW.ask(bus, caller, data, count=count))

    @get(summary="List recurring invoices, newest first")
    async def list_recurring(
        self, caller: CallerDep, bus: BusDep, recurring_status: StatusFilter = None, client_id: FromQuery[UUID | None] = None,
        limit: Limit = 50, offset: Offset = 0,
    ) -> Response[Page[RecurringInvoice]]:
        filters = {"status": recurring_status, "client_id": client_id, "limit": limit, "offset": offset}
        return json_reply(await calls.LIST.ask(bus, caller, **filters))

    get_recurring = read_one(
        "recurring_id", calls.GET.subject, RecurringInvoice, name="get_recurring",
        summary="A recurring invoice with its last and next run and every document it generated",
    )

    @patch("/{recurring_id:uuid}", summary="Change a recurring invoice; applies from the next run")
    async def update_recurring(
        self, request: Request, recurring_id: FromPath[UUID], data: JSONBody[RecurringPatch], caller: CallerDep, bus: BusDep
    ) -> Response[RecurringInvoice]:
        _may_send(request, isinstance(data.auto_send, AutoSendInput))
        return json_reply(await calls.UPDATE.ask(bus, caller, recurring_id, data))

    delete_recurring = delete_one(
        "recurring_id", calls.DELETE.subject, name="delete_recurring", summary="Delete a recurring invoice; the invoices it generated stay"
    )

    @get("/{recurring_id:uuid}/preview", summary="The next runs: dates, periods, line texts and totals")
    async def preview_recurring(
        self, recurring_id: FromPath[UUID], caller: CallerDep, bus: BusDep, count: Count = 6
    ) -> Response[RecurringPreview]:
        return json_reply(await calls.PREVIEW.ask(bus, caller, recurring_id, count=count))

    pause_recurring = act_on_one(
        "pause", "recurring_id", calls.PAUSE.subject, RecurringInvoice, name="pause_recurring", summary="Pause: no runs until resumed"
    )
    resume_recurring = act_on_one(
        "resume", "recurring_id", calls.RESUME.subject, RecurringInvoice, name="resume_recurring",
        summary="Resume from the first period from today on",
    )
    end_recurring = act_on_one(
        "end", "recurring_id", calls.END.subject, RecurringInvoice, name="end_recurring", summary="End: no more runs, ever"
    )
