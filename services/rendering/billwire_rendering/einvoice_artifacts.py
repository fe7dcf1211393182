"""E-invoice XML artifacts (kind `xml`) and the extra attachment an XRechnung send carries.

The XML comes from the invoices service (RenderInput.einvoice), which built and validated it;
it is stored like a PDF: once for an issued document, per version for a draft (numbered DRAFT).
The Factur-X form of a PDF is made in `facturx_pdf`, which never needs this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from billwire_rendering import repository
from billwire_rendering.layout import filename_of
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.rendering import Artifact, RenderInput
from billwire_shared.errors import BillwireError, ErrorCode, not_found
from billwire_shared.ids import new_id

FetchInput = Callable[[Caller, UUID], Awaitable[RenderInput]]


def check_type(actual: str, expected: str | None, document_id: UUID) -> None:
    """A document asked for as one type (an invoice route) is not found when it is another."""
    if expected is not None and actual != expected:
        raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, expected.replace("_", " ").capitalize(), document_id)


class XmlArtifacts:
    """A document's e-invoice XML: the stored one, else taken from its render input and stored."""

    def __init__(self, pool: asyncpg.Pool, fetch_input: FetchInput) -> None:
        self.pool, self.fetch_input = pool, fetch_input

    async def artifact(self, ctx: Caller, document_id: UUID, expected_type: str | None = None) -> Artifact:
        """The e-invoice XML of the document's current version (404 for a document exported as PDF)."""
        async with self.pool.acquire() as conn:
            stored = await repository.xml_artifact(conn, ctx.account_id, document_id, None)
        if stored is not None:
            check_type(stored.document_type, expected_type, document_id)
            return stored.artifact
        source = await self.fetch_input(ctx, document_id)
        doc = source.document
        check_type(doc.type, expected_type, document_id)
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
        async with self.pool.acquire() as conn, conn.transaction():
            return (await repository.store_xml(conn, ctx.account_id, doc.type, artifact, data)).artifact

    async def send_attachments(self, send: SendRequest) -> list[Artifact]:
        """What an e-mail carries besides the PDF: an XRechnung's XML."""
        if send.export_type != "xrechnung":
            return []
        return [await self.artifact(Caller(account_id=send.account_id), send.document_id)]
