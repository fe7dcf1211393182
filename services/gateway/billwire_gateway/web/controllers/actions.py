"""What a person does to a document from its page: one form, one bus command, back to the page
with what happened (or why not) as a message. The same commands and rules as the REST API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, attempt, bus_of, decode, redirect
from billwire_gateway.web.controllers.documents import ActionErrors, document_page
from billwire_gateway.web.forms import convert, given, text
from billwire_shared import subjects
from billwire_shared.contracts.documents import (
    CustomStatus,
    DeleteDocument,
    Document,
    DocumentPatch,
    FinalizeDocument,
    UpdateDocument,
)
from billwire_shared.contracts.lifecycle import (
    CancelDocument,
    CancelInput,
    Cancellation,
    DeletePayment,
    DuplicateDocument,
    ListForDocument,
    MarkPaid,
    MarkPaidInput,
    PaymentInput,
    RecordPayment,
    RecordRefund,
    RefundInput,
    SendDocument,
    SendInput,
)


def _problem(exc: ApiError) -> str:
    details = "; ".join(f"{d.field}: {d.message}" if d.field else d.message for d in exc.reply.details[:5])
    return f"{exc.reply.message} {details}".strip()


def _at_fields(exc: ApiError) -> dict[str, str]:
    """The refusal's details by the form's field names (`custom_status.name` is the form's `name`);
    one without a field is the form's own message."""
    fields = {detail.field.rpartition(".")[2]: detail.message for detail in exc.reply.details if detail.field}
    return fields or {"form": exc.reply.message}


def _after_cancel(cancellation: Cancellation) -> str:
    """The credit note; the invoice instead while its payments are to be paid back (refunds are recorded there)."""
    return f"/documents/{cancellation.cancelled_id if cancellation.refund_due else cancellation.credit_note_id}"


class DocumentActionsController(Controller):
    path = "/documents/{document_id:uuid}"

    async def _do(
        self, request: Request, person: PersonDep, document_id: UUID, subject: str, build: Callable[[], msgspec.Struct],
        done: str = "Done.", to: Callable[[bytes], str] | None = None,
    ) -> Response:
        """The command built and sent; back to the document with `done`, or to the page `to` makes of the reply,
        or back to the document with why not."""
        back = f"/documents/{document_id}"
        outcome = await attempt(request, subject, build)
        if isinstance(outcome, ApiError):
            return redirect(back, _problem(outcome), person)
        return redirect(to(outcome) if to else back, done, person)

    async def _form_do(
        self, request: Request, person: PersonDep, document_id: UUID, action: str, values: dict[str, str], subject: str,
        build: Callable[[], msgspec.Struct], done: str, to: Callable[[bytes], str] | None = None,
    ) -> Response:
        """Like `_do`, but a refusal shows the page again with the action's form open, the values
        given and each error at its field."""
        outcome = await attempt(request, subject, build)
        if isinstance(outcome, ApiError):
            return await document_page(request, person, document_id, ActionErrors(action, values, _at_fields(outcome)))
        return redirect(to(outcome) if to else f"/documents/{document_id}", done, person)

    def _patch(self, person: PersonDep, document_id: UUID, values: dict[str, Any]) -> Callable[[], msgspec.Struct]:
        return lambda: UpdateDocument(ctx=person.caller, id=document_id, patch=convert(values, DocumentPatch))

    @post("/finalize")
    async def finalize(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        command = FinalizeDocument(ctx=person.caller, id=document_id)
        return await self._do(request, person, document_id, subjects.DOCUMENT_FINALIZE, lambda: command)

    @post("/send", opt={"scope": "email:send"})
    async def send(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = given(form, ("recipient", "subject", "message"))
        cc = [address.strip() for address in (text(form, "cc") or "").split(",") if address.strip()]
        return await self._do(
            request, person, document_id, subjects.DOCUMENT_SEND,
            lambda: SendDocument(ctx=person.caller, id=document_id, body=convert(values | {"cc": cc}, SendInput)),
            "Sent to the mail relay.",
        )

    @post("/payments")
    async def record_payment(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("amount", "date", "method", "reference"))
        return await self._do(
            request, person, document_id, subjects.PAYMENT_RECORD,
            lambda: RecordPayment(ctx=person.caller, id=document_id, payment=convert(values, PaymentInput)), "Payment recorded.",
        )

    @post("/payments/{payment_id:uuid}/delete")
    async def delete_payment(self, request: Request, person: PersonDep, document_id: FromPath[UUID], payment_id: FromPath[UUID]) -> Response:
        command = DeletePayment(ctx=person.caller, id=document_id, payment_id=payment_id)
        return await self._do(request, person, document_id, subjects.PAYMENT_DELETE, lambda: command)

    @post("/mark-paid")
    async def mark_paid(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        command = MarkPaid(ctx=person.caller, id=document_id, body=MarkPaidInput())
        return await self._do(request, person, document_id, subjects.DOCUMENT_MARK_PAID, lambda: command)

    @post("/mark-unpaid")
    async def mark_unpaid(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        command = ListForDocument(ctx=person.caller, id=document_id)
        return await self._do(request, person, document_id, subjects.DOCUMENT_MARK_UNPAID, lambda: command)

    @post("/cancel")
    async def cancel(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("reason",))
        return await self._form_do(
            request, person, document_id, "cancel", values, subjects.DOCUMENT_CANCEL,
            lambda: CancelDocument(ctx=person.caller, id=document_id, body=convert(values, CancelInput)), "Cancelled.",
            to=lambda raw: _after_cancel(decode(raw, Cancellation)),
        )

    @post("/refunds")
    async def record_refund(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("amount", "date", "method", "reference"))
        return await self._form_do(
            request, person, document_id, "refund", values, subjects.REFUND_RECORD,
            lambda: RecordRefund(ctx=person.caller, id=document_id, refund=convert(values, RefundInput)), "Refund recorded.",
        )

    @post("/mark-sent")
    async def mark_sent(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        """Sent by hand (posted, handed over): the day and a note; the same PATCH the API takes."""
        values = given(await request.form(), ("sent_date", "sent_notes"))
        return await self._form_do(
            request, person, document_id, "sent", values, subjects.DOCUMENT_UPDATE,
            self._patch(person, document_id, {"sent": True} | values), "Marked as sent.",
        )

    @post("/unmark-sent")
    async def unmark_sent(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._form_do(
            request, person, document_id, "unsent", {}, subjects.DOCUMENT_UPDATE,
            self._patch(person, document_id, {"sent": False}), "No longer marked as sent.",
        )

    @post("/custom-status")
    async def custom_status(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("name", "date", "notes"))

        def build() -> msgspec.Struct:
            status = convert(values, CustomStatus)
            return UpdateDocument(ctx=person.caller, id=document_id, patch=DocumentPatch(custom_status=status))

        return await self._form_do(request, person, document_id, "status", values, subjects.DOCUMENT_UPDATE, build, "Status set.")

    @post("/custom-status/clear")
    async def clear_custom_status(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._form_do(
            request, person, document_id, "status", {}, subjects.DOCUMENT_UPDATE,
            self._patch(person, document_id, {"custom_status": None}), "Status cleared.",
        )

    @post("/duplicate")
    async def duplicate(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        raw = await bus_of(request).call(subjects.DOCUMENT_DUPLICATE, DuplicateDocument(ctx=person.caller, id=document_id))
        return redirect(f"/documents/{decode(raw, Document).id}/edit", "Done.", person)

    @post("/convert")
    async def convert_estimate(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(
            request, person, document_id, subjects.ESTIMATE_CONVERT, lambda: ListForDocument(ctx=person.caller, id=document_id),
            to=lambda raw: f"/documents/{decode(raw, Document).id}/edit",
        )

    @post("/delete")
    async def delete_draft(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(
            request, person, document_id, subjects.DOCUMENT_DELETE, lambda: DeleteDocument(ctx=person.caller, id=document_id),
            to=lambda raw: "/documents",
        )
