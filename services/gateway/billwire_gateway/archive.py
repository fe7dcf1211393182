"""The tax-audit archive (GoBD): one year's issued documents as a ZIP, streamed as it is built.

Germany's GoBD asks that issued documents be kept for eight years, unchanged and readable by
machine. The ZIP holds, for every document finalized with an issue date in the year (every
type, cancelled ones included), the PDF and e-invoice XML exactly as stored when issued (the
bytes that were sent), an index (`index.csv`: a row per document and VAT rate;
`index.json`: a document each, with its files' SHA-256), the year's payments, the year's
audit log (`audit-log.jsonl`, the entities before and after each change, verbatim) and a
manifest (`SHA256SUMS`, in the format `sha256sum -c` checks, and `manifest.json`).

Everything is read page by page over the bus and every file is written into the ZIP while
its bytes arrive, so memory does not grow with the year's size; the index entries wait in a
temporary file until the index files are written at the end. The same builder serves
`GET /api/v1/archive?year=` and `billwire archive`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import stat
import tempfile
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from stream_zip import NO_COMPRESSION_64, ZIP_64, async_stream_zip

from billwire_gateway.artifacts import chunks, first_chunk, render
from billwire_gateway.bus import Bus
from billwire_gateway.export import neutralized
from billwire_shared import subjects
from billwire_shared.contracts.archive import ArchiveAudit, ArchivedAudit, ArchivedPayments, ArchivePayments
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document, ListDocuments
from billwire_shared.contracts.rendering import Artifact, RenderDocument
from billwire_shared.contracts.reports import ExportPage, ExportRows

PAGE = 200
MODE = stat.S_IFREG | 0o644
E_INVOICE_TYPES = ("xrechnung", "factur-x")
INDEX_COLUMNS = [
    "number", "type", "status", "imported", "issue_date", "due_date", "service_date", "client_name", "client_number",
    "client_vat_id", "currency", "tax_rate", "rate_net", "rate_tax", "rate_gross", "net", "tax", "gross", "amount_paid",
    "cancelled_at", "pdf_file", "pdf_sha256", "xml_file", "xml_sha256",
]
PAYMENT_COLUMNS = [
    "id", "date", "amount", "currency", "method", "reference", "document_type", "document_number", "document_id",
    "created_at",
]
_unsafe = re.compile(r"[^A-Za-z0-9._-]+")
Member = tuple[str, datetime, int, Any, AsyncIterable[bytes]]


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return "" if value is None else str(value)


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralized(_text(value)) for value in values])
    return buffer.getvalue().encode()


def file_name(doc: Document, suffix: str) -> str:
    """`documents/invoice/RE-2026-0001.pdf`: the number made safe for every file system."""
    number = _unsafe.sub("_", doc.number or str(doc.id)).strip("._") or str(doc.id)
    return f"documents/{doc.type}/{number}.{suffix}"


class ArchiveBuilder:
    """One archive: the members in order, and what they say of each other."""

    def __init__(self, bus: Bus, caller: Caller, year: int, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.bus, self.caller, self.year = bus, caller, year
        self.created_at = now()
        self.sums: list[tuple[str, str, int]] = []  # (path, sha256, size) of every member so far
        # The index entries wait on disk, not in memory, until the index files are written.
        self._index = tempfile.TemporaryFile()
        self.documents = 0
        self.names: set[str] = set()
        self._first_page = ExportRows(items=[], last=True)
        self._first_file: tuple[Artifact, AsyncIterator[bytes]] | None = None

    async def prepare(self) -> None:
        """Fetch the first page and open the first document's PDF before any byte is sent, so
        an unreachable service or renderer still becomes an error status, not a cut file."""
        self._first_page = await self._page(None)
        self._first_file = await self._open(self._first_page.items[0], "pdf") if self._first_page.items else None

    async def stream(self) -> AsyncIterator[bytes]:
        """The ZIP's bytes (call `prepare` first)."""
        members = self._members(self._first_page, self._first_file)
        compress = lambda: zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)  # noqa: E731 - PDFs are stored as they are
        async for chunk in async_stream_zip(members, get_compressobj=compress):
            yield chunk

    async def _page(self, after: Document | None) -> ExportRows:
        filters = ListDocuments(
            ctx=self.caller, finalized=True, date_from=date(self.year, 1, 1), date_to=date(self.year, 12, 31),
        )
        page = ExportPage(
            ctx=self.caller, filters=filters, limit=PAGE,
            after_created_at=after.created_at if after else None, after_id=after.id if after else None,
        )
        return await self.bus.call_typed(subjects.EXPORT_PAGE, page, ExportRows)

    async def _open(self, doc: Document, kind: str) -> tuple[Artifact, AsyncIterator[bytes]]:
        command = RenderDocument(ctx=self.caller, document_id=doc.id, format="xml" if kind == "xml" else "pdf")
        artifact = await render(self.bus, command)
        return artifact, chunks(self.bus, command, await first_chunk(self.bus, command, artifact))

    async def _members(self, page: ExportRows, first_file: tuple[Artifact, AsyncIterator[bytes]] | None) -> AsyncIterator[Member]:
        while page.items:
            for doc in page.items:
                files: dict[str, tuple[str, str]] = {}
                for kind in ("pdf", "xml") if doc.export_type in E_INVOICE_TYPES else ("pdf",):
                    opened, first_file = (first_file, None) if first_file is not None else (await self._open(doc, kind), None)
                    path = self._unique(file_name(doc, kind))
                    yield path, doc.finalized_at or self.created_at, MODE, NO_COMPRESSION_64, self._counted(path, opened[1])
                    files[kind] = (path, self.sums[-1][1])
                self._index.write(msgspec.json.encode(self._entry(doc, files)) + b"\n")
                self.documents += 1
            if page.last:
                break
            page = await self._page(page.items[-1])
        yield self._generated("index.csv", self._index_csv())
        yield self._generated("index.json", self._index_json())
        yield self._generated("payments.csv", self._payments(csv_form=True))
        yield self._generated("payments.json", self._payments(csv_form=False))
        yield self._generated("audit-log.jsonl", self._audit())
        yield self._generated("manifest.json", self._manifest())
        yield "SHA256SUMS", self.created_at, MODE, ZIP_64, self._sha256sums()
        self._index.close()

    def _unique(self, path: str) -> str:
        stem, dot, suffix = path.rpartition(".")
        candidate, n = path, 1
        while candidate in self.names:
            n += 1
            candidate = f"{stem}-{n}{dot}{suffix}"
        self.names.add(candidate)
        return candidate

    def _generated(self, path: str, data: AsyncIterator[bytes]) -> Member:
        return path, self.created_at, MODE, ZIP_64, self._counted(path, data)

    async def _counted(self, path: str, data: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """Pass the bytes through while hashing them for the manifest."""
        digest, size = hashlib.sha256(), 0
        async for chunk in data:
            digest.update(chunk)
            size += len(chunk)
            yield chunk
        self.sums.append((path, digest.hexdigest(), size))

    def _entry(self, doc: Document, files: dict[str, tuple[str, str]]) -> dict[str, Any]:
        taxes = [
            {"rate": tax.rate, "net": tax.net, "tax": tax.tax, "gross": tax.net + tax.tax} for tax in doc.totals.taxes
        ]
        return {
            "id": doc.id, "number": doc.number, "type": doc.type, "status": doc.status,
            "imported": bool(getattr(doc, "imported", False)), "issue_date": doc.issue_date, "due_date": doc.due_date,
            "service_date": doc.service_date, "service_period": doc.service_period, "client": {
                "name": doc.client.name, "client_number": doc.client.client_number,
                "vat_id": doc.client.vat_id,
            },
            "currency": doc.currency, "net": doc.totals.net, "tax": doc.totals.tax, "gross": doc.totals.gross,
            "taxes": taxes, "amount_paid": doc.amount_paid, "finalized_at": doc.finalized_at, "sent_at": doc.sent_at,
            "paid_at": doc.paid_at, "cancelled_at": doc.cancelled_at,
            "preceding": doc.preceding, "files": [
                {"kind": kind, "path": path, "sha256": sha256} for kind, (path, sha256) in files.items()
            ],
        }

    def _entries(self) -> Iterator[dict[str, Any]]:
        self._index.seek(0)
        for line in self._index:
            yield msgspec.json.decode(line)

    async def _index_csv(self) -> AsyncIterator[bytes]:
        yield _csv_line(INDEX_COLUMNS)
        for entry in self._entries():
            files = {item["kind"]: item for item in entry["files"]}
            pdf, xml = files.get("pdf", {}), files.get("xml", {})
            for tax in entry["taxes"] or [{"rate": None, "net": None, "tax": None, "gross": None}]:
                yield _csv_line([
                    entry["number"], entry["type"], entry["status"], entry["imported"], entry["issue_date"],
                    entry["due_date"], entry["service_date"], entry["client"]["name"], entry["client"]["client_number"],
                    entry["client"]["vat_id"], entry["currency"], tax["rate"], tax["net"], tax["tax"], tax["gross"],
                    entry["net"], entry["tax"], entry["gross"], entry["amount_paid"], entry["cancelled_at"],
                    pdf.get("path"), pdf.get("sha256"), xml.get("path"), xml.get("sha256"),
                ])

    async def _index_json(self) -> AsyncIterator[bytes]:
        yield b"[\n"
        self._index.seek(0)
        for n, line in enumerate(self._index):
            yield (b",\n" if n else b"") + line.rstrip(b"\n")
        yield b"\n]\n"

    async def _payments(self, csv_form: bool) -> AsyncIterator[bytes]:
        yield _csv_line(PAYMENT_COLUMNS) if csv_form else b"["
        command, n = ArchivePayments(ctx=self.caller, year=self.year, limit=500), 0
        while True:
            page = await self.bus.call_typed(subjects.ARCHIVE_PAYMENTS, command, ArchivedPayments)
            for payment in page.items:
                if csv_form:
                    yield _csv_line([getattr(payment, column) for column in PAYMENT_COLUMNS])
                else:
                    yield (b",\n" if n else b"\n") + msgspec.json.encode(payment)
                n += 1
            if page.last or not page.items:
                break
            command = msgspec.structs.replace(command, after_date=page.items[-1].date, after_id=page.items[-1].id)
        if not csv_form:
            yield b"\n]\n"

    async def _audit(self) -> AsyncIterator[bytes]:
        command = ArchiveAudit(ctx=self.caller, year=self.year, limit=500)
        while True:
            page = await self.bus.call_typed(subjects.ARCHIVE_AUDIT, command, ArchivedAudit)
            for entry in page.items:
                yield msgspec.json.encode(entry) + b"\n"
            if page.last or not page.items:
                break
            command = msgspec.structs.replace(command, after_id=page.items[-1].id)

    async def _manifest(self) -> AsyncIterator[bytes]:
        manifest = {
            "format": "billwire-archive/1",
            "account_id": str(self.caller.account_id),
            "year": self.year,
            "created_at": self.created_at.isoformat(),
            "documents": self.documents,
            "retention": "GoBD: keep issued documents, their e-invoices and this index for 8 years",
            "files": [{"path": path, "sha256": sha256, "size": size} for path, sha256, size in self.sums],
        }
        yield json.dumps(manifest, indent=2).encode() + b"\n"

    async def _sha256sums(self) -> AsyncIterator[bytes]:
        for path, sha256, _ in self.sums:
            yield f"{sha256}  {path}\n".encode()
