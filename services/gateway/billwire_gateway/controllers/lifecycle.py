"""After issue: payments, cancel, copies, conversion and sending. One bus call per route."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.lifecycle import (
    CancelDocument,
    CancelInput,
    Cancellation,
    DeletePayment,
    DuplicateDocument,
    GetSend,
    ListForDocument,
    MarkPaid,
    MarkPaidInput,
    Payment,
    PaymentInput,
    RecordPayment,
    SendDocument,
    SendInfo,
    SendInput,
)

Wait = Annotated[int, QueryParameter(ge=0, le=60, description="seconds to wait for delivered or failed")]


class InvoiceLifecycleController(Controller):
    path = "/invoices/{invoice_id:uuid}"
    tags = ["invoices"]

    @post("/payments", summary="Record a payment (partial payments allowed; overpayment is refused)")
    async def record_payment(self, invoice_id: FromPath[UUID], data: JSONBody[PaymentInput], caller: CallerDep, bus: BusDep) -> Response[Payment]:
        return json_reply(await bus.call(subjects.PAYMENT_RECORD, RecordPayment(ctx=caller, id=invoice_id, payment=data)), 201)

    @get("/payments", summary="The invoice's payments")
    async def list_payments(self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[list[Payment]]:
        return json_reply(await bus.call(subjects.PAYMENT_LIST, ListForDocument(ctx=caller, id=invoice_id)))

    @delete("/payments/{payment_id:uuid}", summary="Remove a payment; the balance opens again")
    async def delete_payment(self, invoice_id: FromPath[UUID], payment_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subjects.PAYMENT_DELETE, DeletePayment(ctx=caller, id=invoice_id, payment_id=payment_id))

    @post("/mark-paid", summary="Settle the open balance with one payment", status_code=200)
    async def mark_paid(self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep, data: JSONBody[MarkPaidInput | None] = None) -> Response[Document]:
        command = MarkPaid(ctx=caller, id=invoice_id, body=data or MarkPaidInput())
        return json_reply(await bus.call(subjects.DOCUMENT_MARK_PAID, command))

    @post("/mark-unpaid", summary="Remove every payment; the invoice is open again", status_code=200)
    async def mark_unpaid(self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
        return json_reply(await bus.call(subjects.DOCUMENT_MARK_UNPAID, ListForDocument(ctx=caller, id=invoice_id)))

    @post("/cancel", summary="Cancel an open invoice with a credit note of its own number series",
          description="An invoice with payments answers 409 INVALID_DOCUMENT_STATE: delete its payments first.")
    async def cancel(self, invoice_id: FromPath[UUID], data: JSONBody[CancelInput], caller: CallerDep, bus: BusDep) -> Response[Cancellation]:
        return json_reply(await bus.call(subjects.DOCUMENT_CANCEL, CancelDocument(ctx=caller, id=invoice_id, body=data)), 201)


class DocumentActionsController(Controller):
    """Actions every document type has, under both /invoices and /documents."""

    path = "/"
    tags = ["documents"]

    @post(["/invoices/{document_id:uuid}/duplicate", "/documents/{document_id:uuid}/duplicate"], summary="Start a new draft from this document")
    async def duplicate(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
        return json_reply(await bus.call(subjects.DOCUMENT_DUPLICATE, DuplicateDocument(ctx=caller, id=document_id)), 201)

    @post("/estimates/{document_id:uuid}/convert", summary="Turn an estimate into an invoice draft")
    async def convert(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
        return json_reply(await bus.call(subjects.ESTIMATE_CONVERT, ListForDocument(ctx=caller, id=document_id)), 201)

    @post(
        ["/invoices/{document_id:uuid}/send", "/documents/{document_id:uuid}/send"], status_code=202,
        opt={"scopes": ("write", "email:send")},
        summary="E-mail the document (a draft is finalized first); ?wait=30 waits for the outcome",
        description="Needs the `write` and `email:send` scopes: sending a draft finalizes it.",
    )
    async def send(
        self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
        data: JSONBody[SendInput | None] = None, wait: Wait = 0,
    ) -> Response[SendInfo]:
        raw = await bus.call(subjects.DOCUMENT_SEND, SendDocument(ctx=caller, id=document_id, body=data or SendInput()))
        if wait:
            raw = await _await_outcome(bus, caller, msgspec.json.decode(raw, type=SendInfo).id, wait, raw)
        return json_reply(raw, 202)

    @get(["/invoices/{document_id:uuid}/sends", "/documents/{document_id:uuid}/sends"], summary="Send requests with their state")
    async def sends(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[list[SendInfo]]:
        return json_reply(await bus.call(subjects.SEND_LIST, ListForDocument(ctx=caller, id=document_id)))


async def _await_outcome(bus, caller, send_id: UUID, seconds: int, last: bytes) -> bytes:
    """Poll the send until delivered or failed, for at most `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        last = await bus.call(subjects.SEND_GET, GetSend(ctx=caller, send_id=send_id))
        if msgspec.json.decode(last, type=SendInfo).state in ("delivered", "failed"):
            break
        await asyncio.sleep(0.25)
    return last
