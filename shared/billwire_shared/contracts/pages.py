"""What a web page reads, each in one bus call: a page asks the invoices service once for all it
shows (the document with its sends, payments and history; the documents with the clients the
filter offers), so a page costs one round trip and one database connection, as its REST call does.
The parts are the REST calls' own types; nothing here is new data."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import ById, Page
from billwire_shared.contracts.documents import Document, ListDocuments
from billwire_shared.contracts.email_settings import SendPreview
from billwire_shared.contracts.lifecycle import Payment, Refund, SendInfo
from billwire_shared.contracts.users import Activity


class GetDocumentView(ById, kw_only=True):
    history_limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50
    # The send form's prefilled recipient, subject and text: only asked by who may send, only for an open document.
    with_send_preview: bool = False


class DocumentView(msgspec.Struct, kw_only=True):
    """One document as its page shows it. Sends include the payment reminders (kind "reminder");
    payments only for an issued invoice, refunds only for a cancelled one that owes or paid back."""

    document: Document
    history: list[Activity]
    sends: list[SendInfo] = []
    payments: list[Payment] = []
    refunds: list[Refund] = []
    send_preview: SendPreview | None = None


class ListDocumentsView(ListDocuments, kw_only=True):
    """The documents list's query, and how many clients its filter offers."""

    clients_limit: Annotated[int, msgspec.Meta(ge=0, le=500)] = 100


class ClientChoice(msgspec.Struct, kw_only=True):
    id: UUID
    name: str


class DocumentsView(msgspec.Struct, kw_only=True):
    documents: Page[Document]
    clients: list[ClientChoice]
