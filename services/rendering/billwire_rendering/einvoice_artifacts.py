"""E-invoice artifacts: the XML of a document (kind `xml`), the Factur-X form of an issued
document's PDF, and the extra attachment an XRechnung send carries.

The XML comes from the invoices service (RenderInput.einvoice), which built and validated it;
it is stored like a PDF: once for an issued document, per version for a draft (numbered DRAFT).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg

from billwire_rendering.facturx_pdf import PdfaUnavailable, facturx_pdf
from billwire_rendering.layout import filename_of
from billwire_rendering.repository import COLUMNS, Stored, _stored
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.rendering import Artifact, RenderInput
from billwire_shared.errors import BillwireError, ErrorCode
from billwire_shared.ids import new_id

if TYPE_CHECKING:
    from billwire_rendering.renderer import Renderer

log = logging.getLogger("billwire.rendering")
TITLES = {"invoice": {"en": "Invoice", "de": "Rechnung"}, "credit_note": {"en": "Credit note", "de": "Gutschrift"}}
_INSERT = (
    "INSERT INTO artifacts (id, account_id, document_id, document_type, version, preview, kind, filename, media_type,"
    " size, sha256, template, language, data, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, 'xml', $7, $8, $9, $10, $11, $12, $13, $14)"
)


async def _stored_xml(conn: asyncpg.Connection, account_id: UUID, document_id: UUID, version: int | None) -> Stored | None:
    """The issued document's XML (version None), or a draft version's."""
    where = "AND NOT preview" if version is None else "AND preview AND version = $3"
    args = [account_id, document_id] + ([] if version is None else [version])
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, document_type FROM artifacts WHERE account_id = $1 AND document_id = $2 AND kind = 'xml' {where}",
        *args,
    )
    return _stored(row) if row else None


async def _store(conn: asyncpg.Connection, account_id: UUID, doc_type: str, artifact: Artifact, data: bytes) -> Stored:
    values = [
        artifact.id, account_id, artifact.document_id, doc_type, artifact.version, artifact.preview, artifact.filename,
        artifact.media_type, artifact.size, artifact.sha256, artifact.template, artifact.language, data, artifact.created_at,
    ]
    if artifact.preview:
        await conn.execute(
            _INSERT + " ON CONFLICT (account_id, document_id, kind, version) WHERE preview DO UPDATE SET"
            " id = excluded.id, size = excluded.size, sha256 = excluded.sha256, data = excluded.data,"
            " created_at = excluded.created_at", *values,
        )
        await conn.execute(
            "DELETE FROM artifacts WHERE account_id = $1 AND document_id = $2 AND kind = 'xml' AND preview AND version < $3",
            account_id, artifact.document_id, artifact.version,
        )
    else:
        await conn.execute(_INSERT + " ON CONFLICT (account_id, document_id, kind) WHERE NOT preview DO NOTHING", *values)
    found = await _stored_xml(conn, account_id, artifact.document_id, artifact.version if artifact.preview else None)
    assert found is not None
    return found


def _check_type(actual: str, expected: str | None, document_id: UUID) -> None:
    if expected is not None and actual != expected:
        raise BillwireError(ErrorCode.DOCUMENT_NOT_FOUND, f"{expected.replace('_', ' ').capitalize()} {document_id} was not found.")


async def xml_artifact(renderer: Renderer, ctx: Caller, document_id: UUID, expected_type: str | None = None) -> Artifact:
    """The e-invoice XML of the document's current version (404 for a document exported as PDF)."""
    async with renderer.pool.acquire() as conn:
        stored = await _stored_xml(conn, ctx.account_id, document_id, None)
    if stored is not None:
        _check_type(stored.document_type, expected_type, document_id)
        return stored.artifact
    source = await renderer.fetch_input(ctx, document_id)
    doc = source.document
    _check_type(doc.type, expected_type, document_id)
    if source.einvoice is None:
        raise BillwireError(
            ErrorCode.NOT_FOUND,
            f"This {doc.type.replace('_', ' ')} has no e-invoice XML: its export type is {doc.export_type}"
            " (set export_type to xrechnung or factur-x while it is a draft).",
        )
    preview = doc.status == "draft"
    data = source.einvoice.xml
    artifact = Artifact(
        id=new_id(), document_id=doc.id, version=doc.version, preview=preview,
        filename=filename_of(doc).removesuffix(".pdf") + ".xml", media_type="application/xml", size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), template=source.einvoice.export_type, language=doc.language,
        created_at=datetime.now(UTC),
    )
    async with renderer.pool.acquire() as conn, conn.transaction():
        return (await _store(conn, ctx.account_id, doc.type, artifact, data)).artifact


async def finish_pdf(source: RenderInput, pdf: bytes, preview: bool) -> bytes:
    """An issued Factur-X document's PDF becomes PDF/A-3 with its CII XML; others stay as they are."""
    if preview or source.einvoice is None or source.einvoice.export_type != "factur-x":
        return pdf
    doc = source.document
    title = f"{TITLES.get(doc.type, {}).get(doc.language, doc.type)} {doc.number or ''}".strip()
    try:
        return await facturx_pdf(pdf, source.einvoice.xml, title=title, author=source.seller.company_name or "",
                                 subject=title, lang=doc.language)
    except PdfaUnavailable as exc:
        log.error("Factur-X PDF of %s not possible: %s", doc.id, exc)
        raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, f"The Factur-X PDF cannot be made on this server: {exc}") from exc
    except RuntimeError as exc:
        log.error("Factur-X PDF of %s failed: %s", doc.id, exc)
        raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, "The Factur-X PDF could not be made now; try again.") from exc


async def send_attachments(renderer: Renderer, send: SendRequest) -> list[Artifact]:
    """What an e-mail carries besides the PDF: an XRechnung's XML."""
    if send.export_type != "xrechnung":
        return []
    return [await xml_artifact(renderer, Caller(account_id=send.account_id), send.document_id)]
