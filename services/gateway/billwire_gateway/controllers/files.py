"""PDFs of documents and the company logo.

GET .../pdf asks rendering for the PDF of the document's current version (rendered on demand,
waiting at most RENDER_WAIT seconds) and streams its bytes chunk by chunk over the bus. A busy
renderer answers 503 with Retry-After. GET .../xml streams the e-invoice XML the same way
(export types xrechnung and factur-x; an issued Factur-X document's PDF is itself the PDF/A-3
with that XML embedded). The logo upload is checked by content here
(billwire_gateway.images) before it is stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Stream

from billwire_gateway.artifacts import chunks, first_chunk, render
from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_gateway.images import MAX_UPLOAD_BYTES, ImageRejected, check_logo
from billwire_shared import subjects
from billwire_shared.contracts.accounts import GetProfile
from billwire_shared.contracts.documents import Document, DocumentById, DocumentType
from billwire_shared.contracts.rendering import Artifact, LogoInfo, RenderDocument, SetLogo
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

Disposition = Literal["inline", "attachment"]


async def _stream_pdf(bus: Bus, command: RenderDocument, disposition: Disposition) -> Stream:
    artifact = await render(bus, command)
    first = await first_chunk(bus, command, artifact)  # errors surface before the response starts
    return Stream(chunks(bus, command, first), media_type=artifact.media_type, headers={
        "Content-Disposition": f'{disposition}; filename="{artifact.filename}"',
        "Content-Length": str(artifact.size),
        "ETag": f'"{artifact.sha256}"',
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
    })


def pdf_controller(route: str, fixed_type: DocumentType | None) -> type[Controller]:
    what = fixed_type.replace("_", " ") if fixed_type else "document"

    class PdfController(Controller):
        path = route
        tags = [f"{what}s"]

        @get("/{document_id:uuid}/pdf", summary=f"The PDF of the {what}'s current version (rendered on demand)",
             media_type="application/pdf")
        async def download(
            self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
            disposition: Annotated[Disposition, QueryParameter()] = "inline",
        ) -> Stream:
            return await _stream_pdf(bus, RenderDocument(ctx=caller, document_id=document_id, type=fixed_type), disposition)

        @post("/{document_id:uuid}/pdf", summary=f"Render the draft {what}'s preview again; issued ones answer 409",
              status_code=200)
        async def regenerate(self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Artifact]:
            command = RenderDocument(ctx=caller, document_id=document_id, type=fixed_type, regenerate=True)
            return Response(await render(bus, command))

        @get("/{document_id:uuid}/xml", summary=f"The {what}'s e-invoice XML: XRechnung (UBL) or Factur-X (CII), by its"
             " export type; 404 for one exported as a plain PDF", media_type="application/xml")
        async def xml(
            self, document_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
            disposition: Annotated[Disposition, QueryParameter()] = "attachment",
        ) -> Stream:
            command = RenderDocument(ctx=caller, document_id=document_id, type=fixed_type, format="xml")
            return await _stream_pdf(bus, command, disposition)

    PdfController.__name__ = f"{(fixed_type or 'document').title().replace('_', '')}PdfController"
    return PdfController


InvoicePdfController = pdf_controller("/invoices", "invoice")
DocumentPdfController = pdf_controller("/documents", None)


class CancellationFilesController(Controller):
    """The credit note that cancelled an invoice, by the invoice's id."""

    path = "/invoices/{invoice_id:uuid}/cancellation"
    tags = ["invoices"]

    @staticmethod
    async def _credit_note(bus: Bus, caller: CallerDep, invoice_id: UUID) -> UUID:
        raw = await bus.call(subjects.DOCUMENT_GET, DocumentById(ctx=caller, id=invoice_id, type="invoice"))
        invoice = msgspec.json.decode(raw, type=Document)
        if invoice.cancelled_by is None:
            raise ApiError(ErrorReply(
                code=ErrorCode.INVALID_DOCUMENT_STATE,
                message=f"Invoice {invoice.number or invoice.id} is {invoice.status}, not cancelled: it has no cancellation.",
            ))
        return invoice.cancelled_by.id

    @get("/pdf", summary="The PDF of the credit note that cancelled the invoice; 409 while it is not cancelled",
         media_type="application/pdf")
    async def pdf(
        self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
        disposition: Annotated[Disposition, QueryParameter()] = "inline",
    ) -> Stream:
        note = await self._credit_note(bus, caller, invoice_id)
        return await _stream_pdf(bus, RenderDocument(ctx=caller, document_id=note, type="credit_note"), disposition)

    @get("/xml", summary="The e-invoice XML of the credit note that cancelled the invoice; 404 for one exported as a"
         " plain PDF, 409 while it is not cancelled", media_type="application/xml")
    async def xml(
        self, invoice_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
        disposition: Annotated[Disposition, QueryParameter()] = "attachment",
    ) -> Stream:
        note = await self._credit_note(bus, caller, invoice_id)
        return await _stream_pdf(bus, RenderDocument(ctx=caller, document_id=note, type="credit_note", format="xml"), disposition)


def _rejected(message: str, status: int = 0) -> ApiError:
    return ApiError(ErrorReply(
        code=ErrorCode.BODY_TOO_LARGE if status == 413 else ErrorCode.VALIDATION_ERROR, message=message,
        details=[FieldError(field="file", message=message)],
    ))


class LogoController(Controller):
    path = "/settings/profile/logo"
    tags = ["settings"]

    @post(summary="Upload the company logo (multipart field `file`: PNG, JPEG or SVG, at most 2 MB)",
          status_code=200, request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
    async def upload(
        self, data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        caller: CallerDep, bus: BusDep,
    ) -> Response[LogoInfo]:
        upload = data.get("file") if isinstance(data, dict) else None
        if isinstance(data, dict) and (others := [name for name in data if name != "file"]):
            raise ApiError(ErrorReply(  # like a JSON body's unknown fields: a misnamed part is not silently dropped
                code=ErrorCode.VALIDATION_ERROR, message="The upload takes only the multipart field `file`.",
                details=[FieldError(field=name, message="unknown multipart field") for name in others],
            ))
        if isinstance(upload, list):
            raise _rejected("Send one image as the multipart field `file`, not several.")
        if not isinstance(upload, UploadFile):
            raise _rejected("Send the image as the multipart field `file` (a file part, not a text field).")
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise _rejected("The logo is larger than 2 MB.", 413)
        try:
            media_type, clean = check_logo(content)
        except ImageRejected as exc:
            raise _rejected(str(exc)) from exc
        return json_reply(await bus.call(subjects.LOGO_SET, SetLogo(ctx=caller, media_type=media_type, data=clean)))

    @delete(summary="Remove the company logo")
    async def remove(self, caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subjects.LOGO_DELETE, GetProfile(ctx=caller))
