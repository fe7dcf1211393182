"""Documents: the list with filters, one document's page, its PDF and XML, and the draft form
(with its live totals and client search, both answered by the invoices service)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream

from billwire_gateway.bus import ApiError
from billwire_gateway.controllers.files import _stream_pdf
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import address, convert, field_errors, given, line_rows, lines, text
from billwire_shared import subjects
from billwire_shared.contracts.accounts import GetProfile, Profile
from billwire_shared.contracts.clients import Client, ListClients, ListProducts, Product
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.documents import (
    DOCUMENT_TYPES,
    CreateDocument,
    Document,
    DocumentById,
    DocumentInput,
    DocumentPatch,
    PreviewDocument,
    UpdateDocument,
)
from billwire_shared.contracts.pages import DocumentsView, DocumentView, GetDocumentView, ListDocumentsView
from billwire_shared.contracts.rendering import RenderDocument

PAGE_SIZE = 25
STATES = ("draft", "open", "sent", "partially_paid", "overdue", "paid", "cancelled")
SORTS = ("-created_at", "created_at", "-date", "date", "-number", "number")
DOCUMENT_FIELDS = (
    "issue_date", "service_date", "service_period", "due_date", "due_days", "introduction", "notes", "language", "currency",
    "export_type", "price_layout",
)
ONLY_WHEN_GIVEN = ("currency", "language", "export_type", "due_days", "price_layout", "show_prices")


def _date_or_none(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


class DocumentsController(Controller):
    path = "/documents"

    @get("/")
    async def list_documents(self, request: Request, person: PersonDep) -> Response:
        query = request.query_params
        filters = {
            "type": query.get("type") if query.get("type") in DOCUMENT_TYPES else None,
            "status": query.get("status") if query.get("status") in STATES else None,
            "client_id": _uuid_or_none(query.get("client")),
            "date_from": _date_or_none(query.get("from")), "date_to": _date_or_none(query.get("to")),
            "q": (query.get("q") or "").strip()[:100] or None,
        }
        sort = query.get("sort") if query.get("sort") in SORTS else "-created_at"
        page_number = max(1, int(query.get("page")) if (query.get("page") or "").isdigit() else 1)
        page_number = min(page_number, 40_000)
        listing = ListDocumentsView(
            ctx=person.caller, **filters, sort=sort, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE, clients_limit=100,
        )  # one call: the page of documents and the clients the filter offers
        view = decode(await bus_of(request).call(subjects.DOCUMENT_LIST_VIEW, listing), DocumentsView)
        documents = view.documents
        pages = max(1, -(-documents.total // PAGE_SIZE))
        kept = {key: value for key, value in query.items() if key != "page" and value}
        return page(
            request, "documents.html", person, documents=documents, clients=view.clients, filters=filters, sort=sort,
            page_number=page_number, pages=pages, kept=kept, states=STATES, types=DOCUMENT_TYPES, sorts=SORTS,
        )

    @get("/new")
    async def new_form(self, request: Request, person: PersonDep) -> Response:
        doc_type = request.query_params.get("type") if request.query_params.get("type") in DOCUMENT_TYPES else "invoice"
        client_id = request.query_params.get("client")
        return await self._form(request, person, None, {"type": doc_type, "client_id": client_id}, {})

    @post("/new")
    async def create(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        values = self._values(form, text(form, "type") or "invoice")
        try:
            document_input = convert(values | {"type": text(form, "type") or "invoice"}, DocumentInput)
            raw = await bus_of(request).call(subjects.DOCUMENT_CREATE, CreateDocument(ctx=person.caller, document=document_input))
        except ApiError as exc:
            return await self._form(request, person, None, values | {"type": text(form, "type")}, field_errors(exc), 422)
        return redirect(f"/documents/{decode(raw, Document).id}/edit", "Saved.", person)

    @get("/{document_id:uuid}")
    async def show(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        return await document_page(request, person, document_id)

    @get("/{document_id:uuid}/pdf", opt={"download": True})
    async def pdf(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Stream:
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return await _stream_pdf(bus_of(request), RenderDocument(ctx=person.caller, document_id=document_id), disposition)

    @get("/{document_id:uuid}/xml")
    async def xml(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Stream:
        command = RenderDocument(ctx=person.caller, document_id=document_id, format="xml")
        return await _stream_pdf(bus_of(request), command, "attachment")

    @get("/{document_id:uuid}/edit")
    async def edit_form(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        document = decode(await bus_of(request).call(subjects.DOCUMENT_GET, DocumentById(ctx=person.caller, id=document_id)), Document)
        if document.status != "draft":
            return redirect(f"/documents/{document_id}")
        return await self._form(request, person, document, None, {})

    @post("/{document_id:uuid}/edit")
    async def update(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = self._values(form, text(form, "type") or "invoice")
        patch_values = {"lines": values.get("lines", [])} | {name: values.get(name) for name in DOCUMENT_FIELDS if name not in ONLY_WHEN_GIVEN}
        patch_values |= {name: values[name] for name in (*ONLY_WHEN_GIVEN, "client_id", "client", "imported", "number") if name in values}
        bus = bus_of(request)
        try:
            patch = convert(patch_values, DocumentPatch)
            raw = await bus.call(subjects.DOCUMENT_UPDATE, UpdateDocument(ctx=person.caller, id=document_id, patch=patch))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            document = decode(await bus.call(subjects.DOCUMENT_GET, DocumentById(ctx=person.caller, id=document_id)), Document)
            return await self._form(request, person, document, values, field_errors(exc), 422)
        if text(form, "then") == "view":
            return redirect(f"/documents/{document_id}", "Saved.", person)
        return await self._form(request, person, decode(raw, Document), None, {}, saved=True)

    @post("/totals", opt={"scope": "read"})
    async def totals(self, request: Request, person: PersonDep) -> Response:
        """The draft form as it stands, priced by the invoices service (one bus call, nothing stored):
        each line's amount and the totals, or the fields it refused, keyed by the rows on the page."""
        form = await request.form()
        rows = line_rows(form)
        values = self._values(form, text(form, "type") or "invoice") | {"lines": [row for _, row in rows]}
        try:
            document_input = convert(values | {"type": text(form, "type") or "invoice"}, DocumentInput)
            raw = await bus_of(request).call(subjects.DOCUMENT_PREVIEW, PreviewDocument(ctx=person.caller, document=document_input))
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            return Response({"errors": _on_page(field_errors(exc), [index for index, _ in rows])}, status_code=422)
        doc = decode(raw, Document)
        texts = person.texts
        amounts = {
            str(index): texts.money(line.gross_amount if doc.price_layout == "gross" and line.gross_amount is not None else line.net_amount, doc.currency)
            for (index, _), line in zip(rows, doc.lines, strict=False)
        }
        totals_html = request.app.template_engine.get_template("web/draft_totals.html").render(t=texts, doc=doc)  # type: ignore[union-attr]
        return Response({"amounts": amounts, "totals": totals_html, "errors": {}})

    @get("/clients", opt={"scope": "read"})
    async def search_clients(self, request: Request, person: PersonDep) -> Response:
        """The draft form's client search: up to 50 of the account's clients matching `q`."""
        q = (request.query_params.get("q") or "").strip()[:100] or None
        found = decode(await bus_of(request).call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, q=q, limit=50)), Page[Client])
        return Response([{"id": str(client.id), "name": client.name, "number": client.client_number} for client in found.items])

    @staticmethod
    def _values(form: Any, doc_type: str) -> dict[str, Any]:
        values: dict[str, Any] = given(form, DOCUMENT_FIELDS) | {"lines": lines(form)}
        period = {"start": text(form, "service_period.start") or None, "end": text(form, "service_period.end") or None}
        if period["start"] or period["end"]:  # half a period is refused at the half that is missing
            values["service_period"] = period
        if doc_type == "delivery_note" and text(form, "show_prices_shown"):
            values["show_prices"] = bool(text(form, "show_prices"))
        if text(form, "imported_shown"):
            values["imported"] = bool(text(form, "imported"))  # its own number only then: unchecked clears it
            values["number"] = text(form, "number") if values["imported"] else None
        client_id = text(form, "client_id")
        new_client = given(form, ("name", "email", "vat_id"), "client_")
        if new_client.get("name"):
            client_address = address(form, "client_")
            values["client"] = new_client | ({"address": client_address} if client_address else {})
        elif client_id:
            values["client_id"] = client_id
        return values

    @staticmethod
    async def _form(
        request: Request, person: PersonDep, document: Document | None, values: dict[str, Any] | None, errors: dict[str, str],
        status_code: int = 200, saved: bool = False,
    ) -> Response:
        bus = bus_of(request)
        raw_clients, raw_products, raw_profile = await asyncio.gather(
            bus.call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, limit=100)),
            bus.call(subjects.PRODUCT_LIST, ListProducts(ctx=person.caller, limit=100)),
            bus.call(subjects.PROFILE_GET, GetProfile(ctx=person.caller)),
        )
        clients, products = decode(raw_clients, Page[Client]), decode(raw_products, Page[Product])
        return page(
            request, "draft.html", person, status_code, doc=document, values=values, errors=errors, clients=clients.items,
            products=products.items, types=DOCUMENT_TYPES, saved=saved, layout=decode(raw_profile, Profile).default_price_layout,
        )


async def document_page(
    request: Request, person: PersonDep, document_id: UUID, refused: ActionErrors | None = None,
) -> Response:
    """One document's page with what belongs to it (history, sends, payments, refunds); after a
    refused action, that action's form open with each error at its field (422)."""
    command = GetDocumentView(ctx=person.caller, id=document_id, history_limit=50, with_send_preview=person.may("email:send"))
    view = decode(await bus_of(request).call(subjects.DOCUMENT_VIEW, command), DocumentView)  # one call: all the page shows
    return page(
        request, "document.html", person, 422 if refused else 200, doc=view.document, today=date.today(), history=view.history,
        sends=view.sends, payments=view.payments, refunds=view.refunds, mail=view.send_preview, refused=refused or ActionErrors(),
    )


@dataclass
class ActionErrors:
    """Which action on the document page was refused, the values it was given and why, by field."""

    action: str = ""
    values: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def at(self, action: str) -> dict[str, str]:
        return self.fields if action == self.action else {}


def _on_page(errors: dict[str, str], shown: list[int]) -> dict[str, str]:
    """The API's `lines[k].field` errors renamed to the k-th kept row's place on the page."""
    renamed = {}
    for name, message in errors.items():
        if name.startswith("lines[") and "]" in name:
            position, _, rest = name[6:].partition("]")
            if position.isdigit() and int(position) < len(shown):
                name = f"lines[{shown[int(position)]}]{rest}"
        renamed[name] = message
    return renamed
