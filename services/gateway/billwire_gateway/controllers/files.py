"""PDFs of documents and the company logo.

GET .../pdf asks rendering for the PDF of the document's current version (rendered on demand,
waiting at most RENDER_WAIT seconds) and streams its bytes chunk by chunk over the bus. A busy
renderer answers 503 with Retry-After. GET .../xml streams the e-invoice XML the same way
(export types xrechnung and factur-x; an issued Factur-X document's PDF is itself the PDF/A-3
with that XML embedded). The logo upload is checked by content here
(billwire_gateway.images) before it is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Stream

from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_gateway.images import MAX_UPLOAD_BYTES, ImageRejected, check_logo
from billwire_shared import subjects
from billwire_shared.contracts.accounts import GetProfile
from billwire_shared.contracts.documents import DocumentType
from billwire_shared.contracts.rendering import (
    Artifact,
    ArtifactChunk,
    GetArtifactChunk,
    LogoInfo,
    RenderDocument,
    SetLogo,
)
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

RENDER_WAIT = 30.0  # seconds a download waits for a render before answering 503
RETRY_AFTER = "5"
Disposition = Literal["inline", "attachment"]
_artifact = msgspec.json.Decoder(Artifact)
_chunk = msgspec.json.Decoder(ArtifactChunk)


def _busy(exc: ApiError) -> ApiError:
    """A saturated, unreachable or browserless renderer: 503 with Retry-After."""
    if exc.reply.code in (ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RENDERER_UNAVAILABLE):
        return ApiError(exc.reply, exc.headers | {"Retry-After": exc.headers.get("Retry-After", RETRY_AFTER)})
    return exc


async def _render(bus: Bus, command: RenderDocument) -> Artifact:
    try:
        return _artifact.decode(await bus.call(subjects.DOCUMENT_RENDER, command, timeout=RENDER_WAIT))
    except ApiError as exc:
        raise _busy(exc) from exc


async def _stream_pdf(bus: Bus, command: RenderDocument, disposition: Disposition) -> Stream:
    artifact = await _render(bus, command)
    fetch = GetArtifactChunk(ctx=command.ctx, artifact_id=artifact.id)
    first = _chunk.decode(await bus.call(subjects.ARTIFACT_GET, fetch))  # errors surface before the response starts

    async def body() -> AsyncIterator[bytes]:
        chunk = first
        yield chunk.data
        while not chunk.last and chunk.data:
            offset = chunk.offset + len(chunk.data)
            chunk = _chunk.decode(await bus.call(subjects.ARTIFACT_GET, msgspec.structs.replace(fetch, offset=offset)))
            yield chunk.data

    return Stream(body(), media_type=artifact.media_type, headers={
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
            return Response(await _render(bus, command))

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


def _rejected(message: str, status: int = 0) -> ApiError:
    return ApiError(ErrorReply(
        code=ErrorCode.BODY_TOO_LARGE if status == 413 else ErrorCode.VALIDATION_ERROR, message=message,
        details=[FieldError(field="file", message=message)],
    ))


class LogoController(Controller):
    path = "/settings/profile/logo"
    tags = ["settings"]

    @post(summary="Upload the company logo (multipart field `file`: PNG, JPEG or SVG, at most 2 MB)",
          opt={"scope": "admin"}, status_code=200, request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
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

    @delete(summary="Remove the company logo", opt={"scope": "admin"})
    async def remove(self, caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subjects.LOGO_DELETE, GetProfile(ctx=caller))
