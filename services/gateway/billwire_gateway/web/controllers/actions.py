"""What a person does to a document from its page: one form, one bus command, back to the page
with what happened (or why not) as a message. The same commands and rules as the REST API."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, redirect
from billwire_gateway.web.forms import convert, given, text
from billwire_shared import subjects
from billwire_shared.contracts.documents import DeleteDocument, Document, FinalizeDocument
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
    SendDocument,
    SendInput,
)


def _problem(exc: ApiError) -> str:
    details = "; ".join(f"{d.field}: {d.message}" if d.field else d.message for d in exc.reply.details[:5])
    return f"{exc.reply.message} {details}".strip()


class DocumentActionsController(Controller):
    path = "/documents/{document_id:uuid}"

    async def _do(self, request: Request, person: PersonDep, document_id: FromPath[UUID], subject: str, command, done: str) -> Response:  # noqa: ANN001
        back = f"/documents/{document_id}"
        try:
            await bus_of(request).call(subject, command)
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            return redirect(back, _problem(exc), person)
        return redirect(back, done, person)

    @post("/finalize")
    async def finalize(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(request, person, document_id, subjects.DOCUMENT_FINALIZE, FinalizeDocument(ctx=person.caller, id=document_id), "Done.")

    @post("/send", opt={"scope": "email:send"})
    async def send(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = given(form, ("recipient", "subject", "message"))
        cc = [address.strip() for address in (text(form, "cc") or "").split(",") if address.strip()]
        try:
            body = convert(values | {"cc": cc}, SendInput)
        except ApiError as exc:
            return redirect(f"/documents/{document_id}", _problem(exc), person)
        return await self._do(request, person, document_id, subjects.DOCUMENT_SEND, SendDocument(ctx=person.caller, id=document_id, body=body), "Sent to the mail relay.")

    @post("/payments")
    async def record_payment(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        try:
            payment = convert(given(form, ("amount", "date", "method", "reference")), PaymentInput)
        except ApiError as exc:
            return redirect(f"/documents/{document_id}", _problem(exc), person)
        command = RecordPayment(ctx=person.caller, id=document_id, payment=payment)
        return await self._do(request, person, document_id, subjects.PAYMENT_RECORD, command, "Payment recorded.")

    @post("/payments/{payment_id:uuid}/delete")
    async def delete_payment(self, request: Request, person: PersonDep, document_id: FromPath[UUID], payment_id: FromPath[UUID]) -> Response:
        command = DeletePayment(ctx=person.caller, id=document_id, payment_id=payment_id)
        return await self._do(request, person, document_id, subjects.PAYMENT_DELETE, command, "Done.")

    @post("/mark-paid")
    async def mark_paid(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        command = MarkPaid(ctx=person.caller, id=document_id, body=MarkPaidInput())
        return await self._do(request, person, document_id, subjects.DOCUMENT_MARK_PAID, command, "Done.")

    @post("/mark-unpaid")
    async def mark_unpaid(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        command = ListForDocument(ctx=person.caller, id=document_id)
        return await self._do(request, person, document_id, subjects.DOCUMENT_MARK_UNPAID, command, "Done.")

    @post("/cancel")
    async def cancel(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        try:
            body = convert(given(form, ("reason",)), CancelInput)
            raw = await bus_of(request).call(subjects.DOCUMENT_CANCEL, CancelDocument(ctx=person.caller, id=document_id, body=body))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            return redirect(f"/documents/{document_id}", _problem(exc), person)
        return redirect(f"/documents/{decode(raw, Cancellation).credit_note_id}", "Done.", person)

    @post("/duplicate")
    async def duplicate(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        raw = await bus_of(request).call(subjects.DOCUMENT_DUPLICATE, DuplicateDocument(ctx=person.caller, id=document_id))
        return redirect(f"/documents/{decode(raw, Document).id}/edit", "Done.", person)

    @post("/convert")
    async def convert_estimate(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        try:
            raw = await bus_of(request).call(subjects.ESTIMATE_CONVERT, ListForDocument(ctx=person.caller, id=document_id))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            return redirect(f"/documents/{document_id}", _problem(exc), person)
        return redirect(f"/documents/{decode(raw, Document).id}/edit", "Done.", person)

    @post("/delete")
    async def delete_draft(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        try:
            await bus_of(request).call(subjects.DOCUMENT_DELETE, DeleteDocument(ctx=person.caller, id=document_id))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            return redirect(f"/documents/{document_id}", _problem(exc), person)
        return redirect("/documents", "Done.", person)
