"""What a person does to a document from its page: one form, one bus command, back to the page
with what happened (or why not) as a message. The same commands and rules as the REST API."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.calls import lifecycle as calls
from billwire_gateway.calls.call import Call
from billwire_gateway.web.context import PersonDep, attempt, bus_of, decode, redirect
from billwire_gateway.web.controllers.documents import ActionErrors, document_page
from billwire_gateway.web.forms import convert, given, text
from billwire_shared.contracts.documents import CustomStatus, Document, DocumentPatch
from billwire_shared.contracts.lifecycle import CancelInput, Cancellation, PaymentInput, RefundInput, SendInput


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


Given = Callable[[], tuple]  # what a form gives a call besides the caller and the document, made inside `attempt`


def _taking_back(path: str, action: str, patch: dict[str, object], done: str) -> HTTPRouteHandler:
    """POST `path`: a mark set on the document's page (sent by hand, the account's own status)
    taken back with the fixed `patch`, through `_change` as setting it goes."""

    async def take_back(self: DocumentActionsController, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._change(request, person, document_id, action, {}, lambda: convert(patch, DocumentPatch), done)

    return post(path)(take_back)


class DocumentActionsController(Controller):
    path = "/documents/{document_id:uuid}"

    async def _do(
        self, request: Request, person: PersonDep, document_id: UUID, call: Call, given: Given = tuple,
        done: str = "Done.", to: Callable[[bytes], str] | None = None,
    ) -> Response:
        """The call made for the document with what `given` makes of the form; back to the document
        with `done`, or to the page `to` makes of the reply, or back to the document with why not."""
        back = f"/documents/{document_id}"
        outcome = await attempt(request, call.subject, lambda: call.command(person.caller, document_id, *given()))
        if isinstance(outcome, ApiError):
            return redirect(back, _problem(outcome), person)
        return redirect(to(outcome) if to else back, done, person)

    async def _form_do(
        self, request: Request, person: PersonDep, document_id: UUID, action: str, values: dict[str, str], call: Call,
        given: Given, done: str, to: Callable[[bytes], str] | None = None,
    ) -> Response:
        """Like `_do`, but a refusal shows the page again with the action's form open, the values
        given and each error at its field."""
        outcome = await attempt(request, call.subject, lambda: call.command(person.caller, document_id, *given()))
        if isinstance(outcome, ApiError):
            return await document_page(request, person, document_id, ActionErrors(action, values, _at_fields(outcome)))
        return redirect(to(outcome) if to else f"/documents/{document_id}", done, person)

    async def _change(
        self, request: Request, person: PersonDep, document_id: UUID, action: str, values: dict[str, str],
        patch: Callable[[], DocumentPatch], done: str,
    ) -> Response:
        """A mark on an issued document (sent by hand, the account's own status) set or taken back: the same PATCH the API takes."""
        return await self._form_do(request, person, document_id, action, values, calls.UPDATE_DOCUMENT, lambda: (patch(),), done)

    @post("/finalize")
    async def finalize(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(request, person, document_id, calls.FINALIZE)

    @post("/send", opt={"scope": "email:send"})
    async def send(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = given(form, ("recipient", "subject", "message"))
        cc = [address.strip() for address in (text(form, "cc") or "").split(",") if address.strip()]
        body = lambda: (convert(values | {"cc": cc}, SendInput),)  # noqa: E731
        return await self._do(request, person, document_id, calls.SEND, body, "Sent to the mail relay.")

    @post("/payments")
    async def record_payment(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("amount", "date", "method", "reference"))
        body = lambda: (convert(values, PaymentInput),)  # noqa: E731
        return await self._do(request, person, document_id, calls.RECORD_PAYMENT, body, "Payment recorded.")

    @post("/payments/{payment_id:uuid}/delete")
    async def delete_payment(self, request: Request, person: PersonDep, document_id: FromPath[UUID], payment_id: FromPath[UUID]) -> Response:
        return await self._do(request, person, document_id, calls.DELETE_PAYMENT, lambda: (payment_id,), "Payment deleted.")

    @post("/mark-paid")
    async def mark_paid(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(request, person, document_id, calls.MARK_PAID)

    @post("/mark-unpaid")
    async def mark_unpaid(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(request, person, document_id, calls.MARK_UNPAID)

    @post("/cancel")
    async def cancel(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("reason",))
        return await self._form_do(
            request, person, document_id, "cancel", values, calls.CANCEL, lambda: (convert(values, CancelInput),), "Cancelled.",
            to=lambda raw: _after_cancel(decode(raw, Cancellation)),
        )

    @post("/refunds")
    async def record_refund(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("amount", "date", "method", "reference"))
        body = lambda: (convert(values, RefundInput),)  # noqa: E731
        return await self._form_do(request, person, document_id, "refund", values, calls.RECORD_REFUND, body, "Refund recorded.")

    @post("/mark-sent")
    async def mark_sent(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        """Sent by hand (posted, handed over): the day and a note; the same PATCH the API takes."""
        values = given(await request.form(), ("sent_date", "sent_notes"))
        patch = lambda: convert({"sent": True} | values, DocumentPatch)  # noqa: E731
        return await self._change(request, person, document_id, "sent", values, patch, "Marked as sent.")

    unmark_sent = _taking_back("/unmark-sent", "unsent", {"sent": False}, "No longer marked as sent.")

    @post("/custom-status")
    async def custom_status(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        values = given(await request.form(), ("name", "date", "notes"))
        patch = lambda: DocumentPatch(custom_status=convert(values, CustomStatus))  # noqa: E731
        return await self._change(request, person, document_id, "status", values, patch, "Status set.")

    clear_custom_status = _taking_back("/custom-status/clear", "status", {"custom_status": None}, "Status cleared.")

    @post("/duplicate")
    async def duplicate(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        raw = await calls.DUPLICATE.ask(bus_of(request), person.caller, document_id)
        return redirect(f"/documents/{decode(raw, Document).id}/edit", "Done.", person)

    @post("/convert")
    async def convert_estimate(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        to_draft = lambda raw: f"/documents/{decode(raw, Document).id}/edit"  # noqa: E731
        return await self._do(request, person, document_id, calls.CONVERT_ESTIMATE, to=to_draft)

    @post("/delete")
    async def delete_draft(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await self._do(request, person, document_id, calls.DELETE_DOCUMENT, to=lambda raw: "/documents")
