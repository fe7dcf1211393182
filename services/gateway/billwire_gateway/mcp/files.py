"""MCP tools and resources that hand an agent a document's files (REST: controllers/files.py):
the PDF embedded in the answer (base64, up to `mcp_pdf_max_bytes`) besides its absolute URL, and
the resources `billwire://documents/{id}` (JSON) and `billwire://documents/{id}/pdf`."""

from __future__ import annotations

import base64
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import BlobResourceContents, EmbeddedResource

from billwire_gateway.mcp.arguments import Arguments
from billwire_gateway.mcp.toolbox import READ, BillwireMCP, Reply, Toolbox, base_url
from billwire_shared import subjects
from billwire_shared.contracts.documents import Document, DocumentById
from billwire_shared.contracts.rendering import Artifact, ArtifactChunk, GetArtifactChunk, RenderDocument

RENDER_WAIT = 30.0  # seconds a tool waits for a render, as the REST download does


class InvoiceId(Arguments, kw_only=True):
    invoice_id: UUID


class PdfFile(msgspec.Struct, kw_only=True):
    url: str  # absolute; GET it with the same API key
    media_type: str
    filename: str
    size: int
    sha256: str
    embedded: bool  # false: larger than the gateway embeds (mcp_pdf_max_bytes); download it from `url`
    resource_uri: str


async def pdf_bytes(tools: Toolbox, ctx: Context, document_id: UUID, doc_type: str | None, limit: int | None) -> tuple[Artifact, bytes | None]:
    """The PDF of the document's current version, rendered on demand; its bytes unless it is larger than `limit`."""
    artifact = await tools.call(ctx, subjects.DOCUMENT_RENDER, lambda k: RenderDocument(ctx=k, document_id=document_id, type=doc_type),
                                Artifact, timeout=RENDER_WAIT)
    if limit is not None and artifact.size > limit:
        return artifact, None
    data, offset = b"", 0
    while True:
        fetch = lambda k: GetArtifactChunk(ctx=k, artifact_id=artifact.id, offset=offset)  # noqa: E731
        chunk = await tools.call(ctx, subjects.ARTIFACT_GET, fetch, ArtifactChunk)
        data += chunk.data
        offset += len(chunk.data)
        if chunk.last or not chunk.data:
            return artifact, data


def register(tools: Toolbox) -> None:
    @tools.tool(READ, InvoiceId, PdfFile)
    async def get_invoice_pdf(ctx: Context, args: InvoiceId) -> Reply:
        """The invoice's PDF: embedded in the answer as a resource (application/pdf, base64) up
        to the gateway's size limit, and always its absolute URL (GET with the same API key)."""
        artifact, data = await pdf_bytes(tools, ctx, args.invoice_id, "invoice", tools.settings.mcp_pdf_max_bytes)
        uri = f"billwire://documents/{args.invoice_id}/pdf"
        result = PdfFile(
            url=f"{base_url(ctx)}/api/v1/invoices/{args.invoice_id}/pdf", media_type=artifact.media_type, filename=artifact.filename,
            size=artifact.size, sha256=artifact.sha256, embedded=data is not None, resource_uri=uri,
        )
        content = [] if data is None else [EmbeddedResource(type="resource", resource=BlobResourceContents(
            uri=uri, mime_type=artifact.media_type, blob=base64.b64encode(data).decode(),
        ))]
        return Reply(result=result, content=content)


def register_resources(mcp: BillwireMCP, tools: Toolbox) -> None:
    """The documents as resources: listed as two templates, read with the key's `read` scope."""

    @mcp.resource("billwire://documents/{document_id}", name="document", mime_type="application/json",
                  description="A document (invoice, estimate, credit note...) with lines, totals and status, as JSON.")
    async def document_json(document_id: str, ctx: Context) -> str:
        try:
            doc = await tools.call(ctx, subjects.DOCUMENT_GET, lambda k: DocumentById(ctx=k, id=UUID(document_id)), Document)
        except (ToolError, ValueError) as exc:
            raise ResourceError(str(exc)) from exc
        return msgspec.json.encode(doc).decode()

    @mcp.resource("billwire://documents/{document_id}/pdf", name="document_pdf", mime_type="application/pdf",
                  description="The PDF of a document's current version (rendered on demand).")
    async def document_pdf(document_id: str, ctx: Context) -> bytes:
        try:
            _, data = await pdf_bytes(tools, ctx, UUID(document_id), None, None)
        except (ToolError, ValueError) as exc:
            raise ResourceError(str(exc)) from exc
        return data or b""
