"""`/invoices` (type fixed to invoice) and `/documents` (every type), one shape for both."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from billwire_gateway.bus import ApiError
from billwire_gateway.calls import lifecycle as calls
from billwire_gateway.controllers.approvals import PENDING, ask, held
from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_gateway.export import csv_export
from billwire_shared import subjects
from billwire_shared.contracts.common import MAX_OFFSET, Page
from billwire_shared.contracts.documents import (
    CreateDocument,
    Document,
    DocumentById,
    DocumentInput,
    DocumentPatch,
    DocumentSort,
    DocumentState,
    DocumentType,
    ListDocuments,
)
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError


async def provide_filters(
    doc_type: Annotated[DocumentType | None, QueryParameter(name="type")] = None,
    status: FromQuery[DocumentState | None] = None,
    client_id: FromQuery[UUID | None] = None,
    date_from: Annotated[date | None, QueryParameter(name="from")] = None,
    date_to: Annotated[date | None, QueryParameter(name="to")] = None,
    paid: FromQuery[bool | None] = None,
    sent: FromQuery[bool | None] = None,
    finalized: FromQuery[bool | None] = None,
    cancelled: FromQuery[bool | None] = None,
    updated_since: FromQuery[datetime | None] = None,
) -> dict[str, Any]:
    """The filters a document list and an export share."""
    return {
        "type": doc_type, "status": status, "client_id": client_id, "date_from": date_from, "date_to": date_to,
        "paid": paid, "sent": sent, "finalized": finalized, "cancelled": cancelled, "updated_since": updated_since,
    }


FiltersDep = NamedDependency[dict[str, Any]]


def documents_controller(route: str, fixed_type: DocumentType | None) -> type[Controller]:
    """Routes for one document collection; `fixed_type` pins the type (e.g. /invoices)."""
    what = fixed_type.replace("_", " ") if fixed_type else "document"

    def pinned(requested: DocumentType | None) -> DocumentType | None:
        if fixed_type and requested not in (None, fixed_type):
            raise ApiError(ErrorReply(
                code=ErrorCode.VALIDATION_ERROR, message=f"{route} holds only {fixed_type} documents.",
                details=[FieldError(field="type", message=f"must be {fixed_type!r} here; use /api/v1/documents")],
            ))
        return fixed_type or requested

    class DocumentController(Controller):
        path = route
        tags = [f"{what}s"]
        dependencies = {"filters": Provide(provide_filters)}

        @post(summary=f"Create a draft {what} with computed totals",
              description="`imported: true` brings history from another tool: the document keeps its own `number`"
              " (unique per type in the account, else 409 DOCUMENT_NUMBER_TAKEN; never taken from the number series)"
              " and `issue_date`, and is finalized as imported (marked in the API, the PDF and the audit log).")
        async def create(self, data: JSONBody[DocumentInput], caller: CallerDep, bus: BusDep) -> Response[Document]:
            data.type = pinned(data.type) or "invoice"
            return json_reply(await bus.call(subjects.DOCUMENT_CREATE, CreateDocument(ctx=caller, document=data)), 201)

        @get(summary=f"List {what}s with filters, sorting and pagination",
             description="Page by `cursor`: pass a page's `next_cursor` (null on the last page) with the same"
             " filters and sort to get the next one; it neither repeats nor skips a document when others are"
             " created meanwhile, and a deep page costs what the first one does. `offset` still works.")
        async def list_documents(
            self,
            caller: CallerDep,
            bus: BusDep,
            filters: FiltersDep,
            sort: FromQuery[DocumentSort] = "-created_at",
            limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
            offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
            cursor: Annotated[str | None, QueryParameter(
                max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="A page's `next_cursor` as it came (base64url);"
                " any other text answers 400 naming `cursor`")] = None,
        ) -> Response[Page[Document]]:
            filters["type"] = pinned(filters["type"])
            if cursor and offset:
                raise ApiError(ErrorReply(
                    code=ErrorCode.VALIDATION_ERROR, message="Page by cursor or by offset, not both.",
                    details=[FieldError(field="offset", message="must be 0 (or left out) with a cursor")], status=400,
                ))
            query = ListDocuments(ctx=caller, **filters, sort=sort, limit=limit, offset=offset, cursor=cursor)
            return json_reply(await bus.call(subjects.DOCUMENT_LIST, query))

        @get("/export", summary=f"Every {what} the filters match as CSV, streamed; ?lines=true gives one row per line",
             media_type="text/csv")
        async def export(self, caller: CallerDep, bus: BusDep, filters: FiltersDep, lines: FromQuery[bool] = False) -> Stream:
            filters["type"] = pinned(filters["type"])
            query = ListDocuments(ctx=caller, **filters)
            filename = f"{(fixed_type or 'document')}s{'-lines' if lines else ''}.csv"
            return Stream(
                csv_export(bus, caller, query, lines), media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )

        @get("/{document_id:uuid}", summary=f"Get a {what}")
        async def get_one(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
            return json_reply(await bus.call(subjects.DOCUMENT_GET, DocumentById(ctx=caller, id=document_id, type=fixed_type)))

        @patch("/{document_id:uuid}", summary=f"Change a draft {what}; on an issued one only its status fields",
               description="A finalized document takes only `sent` (marked as sent by hand, with `sent_date` and"
               " `sent_notes`) and `custom_status` (`name`, `date`, `notes`); a cancelled one only `custom_status`."
               " Any other field answers 409 DOCUMENT_FINALIZED naming it. Paid follows the payments.")
        async def update(self, document_id: FromPath[UUID], data: JSONBody[DocumentPatch], caller: CallerDep, bus: BusDep) -> Response[Document]:
            return json_reply(await calls.UPDATE_DOCUMENT.ask(bus, caller, document_id, data, fixed_type))

        @delete("/{document_id:uuid}", summary=f"Delete a draft {what}; finalized ones answer 409", responses=PENDING)
        async def remove(self, request: Request, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> None:
            if held(caller, "delete"):  # a Response passes through as it is: 202 with the pending approval
                return await ask(request, caller, "delete", document_id, document_type=fixed_type)  # type: ignore[return-value]
            await calls.DELETE_DOCUMENT.ask(bus, caller, document_id, fixed_type)

        @post("/{document_id:uuid}/finalize", summary=f"Issue the {what}: give it the next number of its series", status_code=200,
              responses=PENDING)
        async def finalize(self, request: Request, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Document]:
            if held(caller, "finalize"):
                return await ask(request, caller, "finalize", document_id, document_type=fixed_type)
            return json_reply(await calls.FINALIZE.ask(bus, caller, document_id, fixed_type))

    DocumentController.__name__ = f"{(fixed_type or 'document').title().replace('_', '')}Controller"
    return DocumentController


InvoiceController = documents_controller("/invoices", "invoice")
DocumentController = documents_controller("/documents", None)
