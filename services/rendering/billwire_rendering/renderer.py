"""The PDF of a document's current version: reuse what is stored, otherwise render and store it.

An issued document has one PDF, stored once: a second render (a race, a redelivery) keeps the
first. A draft renders as a preview, one per version, replaced only when asked. Storing a PDF
and the `events.document.rendered` that announces it commit together (outbox), and the event
of a send has an id derived from the send request, so a redelivered request announces nothing
twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import re
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from billwire_rendering import repository
from billwire_rendering.browser import BrowserPool, RenderFailed, Saturated
from billwire_rendering.einvoice_artifacts import FetchInput, XmlArtifacts, check_type
from billwire_rendering.facturx_pdf import finish_pdf
from billwire_rendering.fairness import Busy, FairShare
from billwire_rendering.layout import filename_of
from billwire_rendering.repository import Stored
from billwire_rendering.templates import render_page
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import EmailFailed, SendRequest
from billwire_shared.contracts.rendering import Artifact, DocumentRendered, RenderInput
from billwire_shared.errors import BillwireError, ErrorCode, not_found
from billwire_shared.ids import new_id

log = logging.getLogger("billwire.rendering")
EVENT_NAMESPACE = uuid.UUID("6f0c9a52-0d1f-4c8e-9a57-2b1d3c4e5f60")
ISSUED_REMEMBERED = 4096  # issued PDFs (their metadata) kept in memory: a document's send follows its finalize
MAX_REASON = 1000  # characters of a failed send's reason
TOO_LONG_REMEMBERED = 1024  # document versions known to print over the page limit: asked again, not printed again


_PAGE_TREE_ROOT = re.compile(rb"/Pages\s+(\d+)\s+0\s+R")  # the catalog's reference to the root of the page tree
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def page_count(pdf: bytes) -> int:
    """Chromium (Skia) writes every object in plain text: its pages are counted where the page tree's
    root /Count and the number of page objects agree. Any other PDF is read by pypdf, which with
    what it loads (Pillow, fontTools, cryptography: about 25 MB) stayed in every replica that had
    printed once."""
    if (root := _PAGE_TREE_ROOT.search(pdf)) is not None:
        node = re.search(rb"(?<![0-9])%s 0 obj\s*<<(.*?)>>" % root.group(1), pdf, re.S)
        count = re.search(rb"/Count\s+(\d+)", node.group(1)) if node is not None else None
        if count is not None and int(count.group(1)) == len(_PAGE_OBJECT.findall(pdf)):
            return int(count.group(1))
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def too_long(pages: int, max_pages: int) -> BillwireError:
    return BillwireError(
        ErrorCode.DOCUMENT_TOO_LONG,
        f"The PDF would have {pages} pages; the limit is {max_pages} pages per PDF (render_max_pages). "
        "Shorten the document: fewer lines or shorter descriptions.",
    )


def rendered_event_id(artifact: Artifact, send: SendRequest | None) -> UUID:
    """One `document.rendered` per stored PDF, and one per send request."""
    key = f"send:{send.id}" if send is not None else f"artifact:{artifact.id}"
    return uuid.uuid5(EVENT_NAMESPACE, key)


class Renderer:
    def __init__(
        self, pool: asyncpg.Pool, browser: BrowserPool, fetch_input: FetchInput, *, share: FairShare | None = None,
        max_pages: int = 400, recent_pdf_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.pool, self.browser, self.fetch_input = pool, browser, fetch_input
        self.recent_pdf_bytes = recent_pdf_bytes  # issued PDFs' bytes kept in memory for the mailer's fetch, at most
        self.share = share or FairShare(2)  # whose render gets the next free page
        self.max_pages = max_pages
        self._too_long: OrderedDict[tuple[UUID, UUID, int], int] = OrderedDict()  # (account, document, version) -> pages
        self.xml = XmlArtifacts(pool, fetch_input)  # a document's e-invoice XML, stored beside its PDF
        self._in_progress: dict[tuple, asyncio.Future] = {}
        self._issued: OrderedDict[tuple[UUID, UUID], Stored] = OrderedDict()  # never changes once stored
        # artifact id -> (account, artifact, bytes) of issued PDFs stored here lately: the mailer
        # fetches a send's PDF right after it was printed. Issued PDFs are never changed or deleted.
        self._pdfs: OrderedDict[UUID, tuple[UUID, Artifact, bytes]] = OrderedDict()
        self._pdf_bytes = 0

    async def artifact(
        self, ctx: Caller, document_id: UUID, *, regenerate: bool = False, expected_type: str | None = None,
        send: SendRequest | None = None,
    ) -> Artifact:
        account_id = ctx.account_id
        if not regenerate:
            issued = (account_id, document_id, None, False)
            stored = await self._single_flight(issued, lambda: self._stored_or_rendered(ctx, document_id))
            if isinstance(stored, Stored):
                check_type(stored.document_type, expected_type, document_id)
                if send is not None:
                    await self._announce(account_id, stored.artifact, send)
                return stored.artifact
            source = stored  # a draft: its preview, per version
        else:
            source = await self.fetch_input(ctx, document_id)
        check_type(source.document.type, expected_type, document_id)
        doc = source.document
        preview = doc.status == "draft"
        if regenerate and not preview:
            raise BillwireError(
                ErrorCode.DOCUMENT_FINALIZED, "An issued document's PDF never changes; only a draft's preview is regenerated."
            )
        if preview and not regenerate:
            async with self.pool.acquire() as conn:
                stored = await repository.preview_artifact(conn, account_id, document_id, doc.version)
            if stored is not None:
                return stored.artifact
        key = (account_id, document_id, doc.version, regenerate)
        return (await self._single_flight(key, lambda: self._render_and_store(account_id, source, preview))).artifact

    async def _stored_or_rendered(self, ctx: Caller, document_id: UUID) -> Stored | RenderInput:
        """An issued document's PDF: stored, else rendered and stored; a draft's input comes back
        unrendered. One flight per document in this replica, lookup and input fetch included:
        its finalize and its send arrive together and share all of it."""
        key = (ctx.account_id, document_id)
        stored = self._issued.get(key)
        if stored is None:
            async with self.pool.acquire() as conn:
                stored = await repository.issued_artifact(conn, ctx.account_id, document_id)
        if stored is None:
            source = await self.fetch_input(ctx, document_id)
            if source.document.status == "draft":
                return source
            stored = await self._render_and_store(ctx.account_id, source, False)
        self._issued[key] = stored
        self._issued.move_to_end(key)
        while len(self._issued) > ISSUED_REMEMBERED:
            self._issued.popitem(last=False)
        return stored

    async def _single_flight(self, key: tuple, work: Callable[[], Awaitable[Any]]) -> Any:
        """Concurrent requests for the same version share one render in this replica."""
        running = self._in_progress.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._in_progress[key] = future
        try:
            result = await work()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        else:
            future.set_result(result)
            return result
        finally:
            self._in_progress.pop(key, None)

    async def _render_and_store(self, account_id: UUID, source: RenderInput, preview: bool) -> Stored:
        doc = source.document
        version_key = (account_id, doc.id, doc.version)
        if version_key in self._too_long:
            raise too_long(self._too_long[version_key], self.max_pages)
        page = render_page(source)
        try:
            self.browser.check_available()  # no browser: say so now, not after a turn at a page
            async with self.share.turn(account_id, self.share.is_large(doc)):
                pdf = await self.browser.render(page.html, page.footer)
        except (Saturated, Busy) as exc:
            raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, "The renderer is busy; try again shortly.") from exc
        except RenderFailed as exc:
            log.error("render of %s failed: %s", doc.id, exc)
            raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, "The document could not be rendered now; try again.") from exc
        pages = await asyncio.to_thread(page_count, pdf)
        if pages > self.max_pages:
            self._too_long[version_key] = pages
            while len(self._too_long) > TOO_LONG_REMEMBERED:
                self._too_long.popitem(last=False)
            log.warning("document %s prints on %d pages, over the limit of %d; not stored", doc.id, pages, self.max_pages)
            raise too_long(pages, self.max_pages)
        pdf = await finish_pdf(source, pdf)  # Factur-X: PDF/A-3 with the XML
        artifact = Artifact(
            id=new_id(), document_id=doc.id, version=doc.version, preview=preview, filename=filename_of(doc),
            media_type="application/pdf", size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
            template=page.template, language=doc.language, created_at=datetime.now(UTC),
        )
        async with self.pool.acquire() as conn, conn.transaction():
            if preview:
                stored = await repository.upsert_preview(conn, account_id, doc.type, artifact, pdf)
                await repository.drop_old_previews(conn, account_id, doc.id, doc.version)
                return stored
            inserted = await repository.insert_issued(conn, account_id, doc.type, artifact, pdf)
            if inserted:
                await self._queue_event(conn, account_id, artifact, None)
            else:
                kept = await repository.issued_artifact(conn, account_id, doc.id)
        if inserted:  # committed
            self._remember_pdf(account_id, artifact, pdf)
            return Stored(artifact=artifact, document_type=doc.type)
        assert kept is not None
        log.info("document %s was rendered meanwhile; kept the first PDF", doc.id)
        return kept

    async def _announce(self, account_id: UUID, artifact: Artifact, send: SendRequest) -> None:
        attachments = await self.xml.send_attachments(send)  # an XRechnung's XML
        async with self.pool.acquire() as conn:
            await self._queue_event(conn, account_id, artifact, send, attachments)

    async def send_failed(self, send: SendRequest, reason: str) -> None:
        """The send ends without an e-mail (once per send, however often this is said)."""
        now = datetime.now(UTC)
        data = EmailFailed(
            send_request_id=send.id, account_id=send.account_id, document_id=send.document_id, reason=reason[:MAX_REASON],
            permanent=True, failed_at=now,
        )
        event = Event(id=uuid.uuid5(EVENT_NAMESPACE, f"send-failed:{send.id}"), type="email.failed", occurred_at=now,
                      account_id=send.account_id, data=data)
        async with self.pool.acquire() as conn:
            await repository.add_event_once(conn, event, subjects.EMAIL_FAILED)

    @staticmethod
    async def _queue_event(
        conn: asyncpg.Connection, account_id: UUID, artifact: Artifact, send: SendRequest | None, attachments: list[Artifact] | None = None,
    ) -> None:
        data = DocumentRendered(
            account_id=account_id, document_id=artifact.document_id, version=artifact.version, artifact=artifact, send=send,
            attachments=attachments or [],
        )
        event = Event(
            id=rendered_event_id(artifact, send), type="document.rendered", occurred_at=datetime.now(UTC),
            account_id=account_id, data=data,
        )
        await repository.add_event_once(conn, event, subjects.DOCUMENT_RENDERED)

    def _remember_pdf(self, account_id: UUID, artifact: Artifact, pdf: bytes) -> None:
        self._pdfs[artifact.id] = (account_id, artifact, pdf)
        self._pdf_bytes += len(pdf)
        while self._pdf_bytes > self.recent_pdf_bytes:
            self._pdf_bytes -= len(self._pdfs.popitem(last=False)[1][2])

    async def chunk(self, ctx: Caller, artifact_id: UUID, offset: int, size: int) -> tuple[Artifact, bytes]:
        recent = self._pdfs.get(artifact_id)
        if recent is not None and recent[0] == ctx.account_id:
            return recent[1], recent[2][offset:offset + size]
        async with self.pool.acquire() as conn:
            found = await repository.chunk(conn, ctx.account_id, artifact_id, offset, size)
        if found is None:
            raise not_found(ErrorCode.NOT_FOUND, "Artifact", artifact_id)
        return found[0].artifact, found[1]

