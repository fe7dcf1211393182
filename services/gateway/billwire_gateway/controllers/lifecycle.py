"""After issue: payments, cancel, copies, conversion and sending. One bus call per route."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from billwire_gateway.calls import lifecycle as calls
from billwire_gateway.controllers.approvals import PENDING, ask, held
from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_shared.contracts.approvals import Approval
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.lifecycle import (
    CancelInput,
    Cancellation,
    MarkPaidInput,
    Payment,
    PaymentInput,
    Refund,
    RefundInput,
    SendInfo,
    SendInput,
)

Wait = Annotated[int, QueryParameter(ge=0, le=60, description="seconds to wait for delivered or failed")]


class InvoiceLifecycleController(Controller):
    path = "/invoices/{invoice_id:uuid}"
    tags = ["invoices"]

    @post("/payments", summary="Record a payment (partial payments allowed; overpayment is refused)", responses=PENDING)
    async def record_payment(self, request: Request, invoice_id: FromPath[UUID], data: JSONBody[PaymentInput], caller: CallerDep, bus: BusDep) -> Response[Payment]:
        if held(caller, "record_payment"):
            return await ask(request, caller, "record_payment", invoice_id, document_type="invoice", payment=data)
        return json_reply(await calls.RECORD_PAYMENT.ask(bus, caller, invoice_id, data), 201)

    @get("/payments", summary="The invoice's payments")
    async def list_payments(self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[list[Payment]]:
        return json_reply(await calls.LIST_PAYMENTS.ask(bus, caller, invoice_id))

    @delete("/payments/{payment_id:uuid}", summary="Remove a payment; the balance opens again")
    async def delete_payment(self, invoice_id: FromPath[UUID], payment_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> None:
        await calls.DELETE_PAYMENT.ask(bus, caller, invoice_id, payment_id)

    @post("/mark-paid", summary="Settle the open balance with one payment", status_code=200)
    async def mark_paid(self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep, data: JSONBody[MarkPaidInput | None] = None) -> Response[Document]:
        return json_reply(await calls.MARK_PAID.ask(bus, caller, invoice_id, data))

    @post("/mark-unpaid", summary="Remove every payment; the invoice is open again", status_code=200, responses=PENDING)
    async def mark_unpaid(self, request: Request, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
        if held(caller, "mark_unpaid"):
            return await ask(request, caller, "mark_unpaid", invoice_id, document_type="invoice")
        return json_reply(await calls.MARK_UNPAID.ask(bus, caller, invoice_id))

    @post("/cancel", summary="Cancel an issued invoice with a credit note of its own number series (the reason is optional)",
          description="An invoice with payments keeps them: it is cancelled and shows `refund_due`, the amount to pay"
          " back, until refunds are recorded (POST .../refunds). The credit note's files: GET .../cancellation/pdf and /xml.",
          responses=PENDING)
    async def cancel(
        self, request: Request, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep, data: JSONBody[CancelInput | None] = None,
    ) -> Response[Cancellation]:
        if held(caller, "cancel"):
            return await ask(request, caller, "cancel", invoice_id, document_type="invoice", cancel=data or CancelInput())
        return json_reply(await calls.CANCEL.ask(bus, caller, invoice_id, data), 201)

    @post("/refunds", summary="Record a refund of a cancelled invoice's payments (the whole refund_due when no amount is given)",
          description="Announced as `invoice.refunded`; the payments stay on record and `invoice.paid` is not sent again.")
    async def record_refund(
        self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep, data: JSONBody[RefundInput | None] = None,
    ) -> Response[Refund]:
        return json_reply(await calls.RECORD_REFUND.ask(bus, caller, invoice_id, data), 201)

    @get("/refunds", summary="The refunds recorded on a cancelled invoice")
    async def list_refunds(self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[list[Refund]]:
        return json_reply(await calls.LIST_REFUNDS.ask(bus, caller, invoice_id))


class DocumentActionsController(Controller):
    """Actions every document type has, under both /invoices and /documents."""

    path = "/"
    tags = ["documents"]

    @post(["/invoices/{document_id:uuid}/duplicate", "/documents/{document_id:uuid}/duplicate"], summary="Start a new draft from this document")
    async def duplicate(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
        return json_reply(await calls.DUPLICATE.ask(bus, caller, document_id), 201)

    @post("/estimates/{document_id:uuid}/convert", summary="Turn an estimate into an invoice draft, once",
          description="A second convert answers 409 INVALID_DOCUMENT_STATE naming the invoice the estimate became"
          " (the estimate shows it as `converted_to`); once that draft is deleted the estimate converts again.")
    async def convert(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
        return json_reply(await calls.CONVERT_ESTIMATE.ask(bus, caller, document_id), 201)

    @post(
        ["/invoices/{document_id:uuid}/send", "/documents/{document_id:uuid}/send"], status_code=202,
        opt={"scopes": ("write", "email:send")},
        summary="E-mail the document (a draft is finalized first); ?wait=30 waits for the outcome",
        description="Needs the `write` and `email:send` scopes: sending a draft finalizes it. A key whose policy"
        " holds `send` for approval gets the pending approval (`id`, `preview`, `approve_url`) instead of a send.",
    )
    async def send(
        self, request: Request, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
        data: JSONBody[SendInput | None] = None, wait: Wait = 0,
    ) -> Response[SendInfo | Approval]:
        if held(caller, "send"):
            return await ask(request, caller, "send", document_id, send=data or SendInput())
        raw = await calls.SEND.ask(bus, caller, document_id, data)
        if wait:
            raw = await _await_outcome(bus, caller, msgspec.json.decode(raw, type=SendInfo).id, wait, raw)
        return json_reply(raw, 202)

    @get(["/invoices/{document_id:uuid}/sends", "/documents/{document_id:uuid}/sends"], summary="Send requests with their state")
    async def sends(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[list[SendInfo]]:
        return json_reply(await calls.LIST_SENDS.ask(bus, caller, document_id))


async def _await_outcome(bus, caller, send_id: UUID, seconds: int, last: bytes) -> bytes:
    """Poll the send until delivered or failed, for at most `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        last = await calls.GET_SEND.ask(bus, caller, send_id)
        if msgspec.json.decode(last, type=SendInfo).state in ("delivered", "failed"):
            break
        await asyncio.sleep(0.25)
    return last
