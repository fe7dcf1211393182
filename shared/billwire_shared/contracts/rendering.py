"""Rendering: what a PDF is made from, the stored artifact, and the event that announces it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.accounts import Seller
from billwire_shared.contracts.common import ById, Command
from billwire_shared.contracts.documents import Document, DocumentType
from billwire_shared.contracts.mail import SendRequest

MAX_LOGO_BYTES = 2 * 1024 * 1024
CHUNK_BYTES = 512 * 1024  # artifact bytes per bus message: well under NATS' 1 MB default


class Logo(msgspec.Struct, kw_only=True):
    media_type: str  # image/png, image/jpeg or image/svg+xml (sanitized)
    data: bytes
    sha256: str


class SetLogo(Command, kw_only=True):
    media_type: str
    data: bytes


class LogoInfo(msgspec.Struct, kw_only=True):
    media_type: str
    size: int
    sha256: str
    updated_at: datetime


class GetRenderInput(ById, kw_only=True):
    """invoices.rpc.document.render_input: everything a document's PDF is made from."""


class EInvoiceXml(msgspec.Struct, kw_only=True):
    """A document's e-invoice: UBL (XRechnung) or CII (Factur-X, embedded in the PDF)."""

    export_type: str  # factur-x | xrechnung
    xml: bytes


class RenderInput(msgspec.Struct, kw_only=True):
    document: Document
    seller: Seller  # the frozen seller of an issued document, the current profile for a draft
    logo: Logo | None = None
    einvoice: EInvoiceXml | None = None  # set when the document's export type is not `pdf`


class RenderDocument(Command, kw_only=True):
    """rendering.rpc.document.render: the PDF of a document's current version, made now if missing."""

    document_id: UUID
    regenerate: bool = False  # drafts only: render the preview again
    type: DocumentType | None = None  # when set, a document of another type is "not found"
    format: Literal["pdf", "xml"] = "pdf"  # xml: the e-invoice XML (export types factur-x and xrechnung)


class Artifact(msgspec.Struct, kw_only=True):
    id: UUID
    document_id: UUID
    version: int
    preview: bool  # a draft's preview, marked DRAFT
    filename: str  # e.g. INV-2026-0001.pdf
    media_type: str
    size: int
    sha256: str
    template: str
    language: str
    created_at: datetime


class GetArtifactChunk(Command, kw_only=True):
    """rendering.rpc.artifact.get: a slice of an artifact's bytes (large files take several)."""

    artifact_id: UUID
    offset: int = 0


class ArtifactChunk(msgspec.Struct, kw_only=True):
    artifact: Artifact
    offset: int
    data: bytes
    last: bool


class DocumentRendered(msgspec.Struct, kw_only=True):
    """events.document.rendered: a document version's PDF is stored (for a send, `send` says which)."""

    account_id: UUID
    document_id: UUID
    version: int
    artifact: Artifact
    send: SendRequest | None = None
    attachments: list[Artifact] = []  # more files for the e-mail (an XRechnung's XML)
