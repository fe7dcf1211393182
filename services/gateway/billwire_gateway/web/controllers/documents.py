"""Documents: the list with filters, one document's page, its PDF and XML, and the draft form."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream

from billwire_gateway.bus import ApiError
from billwire_gateway.controllers.files import _stream_pdf
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import address, convert, field_errors, given, lines, text
from billwire_shared import subjects
from billwire_shared.contracts.clients import Client, ListClients, ListProducts, Product
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.documents import (
    DOCUMENT_TYPES,
    CreateDocument,
    Document,
    DocumentInput,
    DocumentPatch,
    GetDocument,
    ListDocuments,
    UpdateDocument,
)
from billwire_shared.contracts.email_settings import PreviewSend, SendPreview
from billwire_shared.contracts.lifecycle import ListForDocument, Payment, SendInfo
from billwire_shared.contracts.rendering import RenderDocument
from billwire_shared.contracts.users import Activity, ListActivity

PAGE_SIZE = 25
STATES = ("draft", "open", "sent", "partially_paid", "overdue", "paid", "cancelled")
SORTS = ("-created_at", "created_at", "-date", "date", "-number", "number")
DOCUMENT_FIELDS = ("issue_date", "service_date", "due_date", "due_days", "introduction", "notes", "language", "currency", "export_type")


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
        bus = bus_of(request)
        listing = ListDocuments(ctx=person.caller, **filters, sort=sort, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
        documents = decode(await bus.call(subjects.DOCUMENT_LIST, listing), Page[Document])
        clients = decode(await bus.call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, limit=100)), Page[Client])
        pages = max(1, -(-documents.total // PAGE_SIZE))
        kept = {key: value for key, value in query.items() if key != "page" and value}
        return page(
            request, "documents.html", person, documents=documents, clients=clients.items, filters=filters, sort=sort,
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
        values = self._values(form)
        try:
            document_input = convert(values | {"type": text(form, "type") or "invoice"}, DocumentInput)
            raw = await bus_of(request).call(subjects.DOCUMENT_CREATE, CreateDocument(ctx=person.caller, document=document_input))
        except ApiError as exc:
            return await self._form(request, person, None, values | {"type": text(form, "type")}, field_errors(exc), 422)
        return redirect(f"/documents/{decode(raw, Document).id}/edit", "Saved.", person)

    @get("/{document_id:uuid}")
    async def show(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        bus = bus_of(request)
        document = decode(await bus.call(subjects.DOCUMENT_GET, GetDocument(ctx=person.caller, id=document_id)), Document)
        for_document = ListForDocument(ctx=person.caller, id=document_id)
        issued = document.status != "draft"
        reads = {
            "history": bus.call(subjects.ACTIVITY_LIST, ListActivity(ctx=person.caller, entity_id=document_id, limit=50)),
            **({"sends": bus.call(subjects.SEND_LIST, for_document)} if issued else {}),
            **({"payments": bus.call(subjects.PAYMENT_LIST, for_document)} if issued and document.type == "invoice" else {}),
            **({"preview": bus.call(subjects.SEND_PREVIEW, PreviewSend(ctx=person.caller, id=document_id))}
               if issued and document.status == "open" and person.may("email:send") else {}),
        }
        raw = dict(zip(reads, await asyncio.gather(*reads.values()), strict=True))
        return page(
            request, "document.html", person, doc=document, today=date.today(),
            history=decode(raw["history"], list[Activity]),
            sends=decode(raw["sends"], list[SendInfo]) if "sends" in raw else [],
            payments=decode(raw["payments"], list[Payment]) if "payments" in raw else [],
            mail=decode(raw["preview"], SendPreview) if "preview" in raw else None,
        )

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
        document = decode(await bus_of(request).call(subjects.DOCUMENT_GET, GetDocument(ctx=person.caller, id=document_id)), Document)
        if document.status != "draft":
            return redirect(f"/documents/{document_id}")
        return await self._form(request, person, document, None, {})

    @post("/{document_id:uuid}/edit")
    async def update(self, request: Request, person: PersonDep, document_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = self._values(form)
        patch_values = {"lines": values.get("lines", [])} | {name: values.get(name) for name in DOCUMENT_FIELDS if name not in ("currency", "language", "export_type", "due_days")}
        patch_values |= {name: values[name] for name in ("currency", "language", "export_type", "due_days", "client_id", "client") if name in values}
        bus = bus_of(request)
        try:
            patch = convert(patch_values, DocumentPatch)
            raw = await bus.call(subjects.DOCUMENT_UPDATE, UpdateDocument(ctx=person.caller, id=document_id, patch=patch))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            document = decode(await bus.call(subjects.DOCUMENT_GET, GetDocument(ctx=person.caller, id=document_id)), Document)
            return await self._form(request, person, document, values, field_errors(exc), 422)
        if text(form, "then") == "view":
            return redirect(f"/documents/{document_id}", "Saved.", person)
        return await self._form(request, person, decode(raw, Document), None, {}, saved=True)

    @staticmethod
    def _values(form: Any) -> dict[str, Any]:
        values: dict[str, Any] = given(form, DOCUMENT_FIELDS) | {"lines": lines(form)}
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
        clients = decode(await bus.call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, limit=100)), Page[Client])
        products = decode(await bus.call(subjects.PRODUCT_LIST, ListProducts(ctx=person.caller, limit=100)), Page[Product])
        return page(
            request, "draft.html", person, status_code, doc=document, values=values, errors=errors, clients=clients.items,
            products=products.items, types=DOCUMENT_TYPES, saved=saved,
        )
