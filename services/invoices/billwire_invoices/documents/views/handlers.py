"""Bus edge of the pages' reads: a document's page (in one statement, views/sql.py) and the documents
list (from one connection with the queries the list reads use), so a page costs one bus call and
shows what the REST calls would. No `from __future__ import annotations`: see documents/handlers.py.
"""

import asyncpg

from billwire_invoices import answers
from billwire_invoices.documents import encoded
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.views import rules
from billwire_invoices.documents.views import sql as views_sql
from billwire_invoices.email import templates
from billwire_invoices.uow import Handlers
from billwire_shared import subjects
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.email_settings import SendPreview
from billwire_shared.contracts.pages import ClientChoice, DocumentsView, DocumentView, GetDocumentView, ListDocumentsView
from billwire_shared.errors import ErrorCode, found


class ViewHandlers(Handlers):
    """One method per RPC subject of the pages' reads (each marked with the subject it answers)."""

    @answers(subjects.DOCUMENT_VIEW)
    async def document_view(self, cmd: GetDocumentView) -> DocumentView:
        account_id = cmd.ctx.account_id

        async def work(conn: asyncpg.Connection) -> DocumentView:
            rows = found(
                await views_sql.document_view(conn, account_id, cmd.id, cmd.history_limit, cmd.with_send_preview),
                ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id,
            )
            doc = rows.document
            parts = rules.parts_of(doc, cmd.with_send_preview)
            view = DocumentView(document=doc, history=rows.history)
            if "sends" in parts:
                view.sends = rows.sends
            if "payments" in parts:
                view.payments = rows.payments
            if "refunds" in parts:
                view.refunds = rows.refunds
            if "send_preview" in parts and rows.profile is not None and rows.templates is not None:
                subject, message = templates.compose(doc, rows.profile, rows.templates, doc.type)
                view.send_preview = SendPreview(recipient=doc.client.email, subject=subject, message=message)
            return view

        return await self.uow.read(work)

    @answers(subjects.DOCUMENT_LIST_VIEW)
    async def documents_view(self, cmd: ListDocumentsView) -> DocumentsView:
        async def work(conn: asyncpg.Connection) -> DocumentsView:
            # The page's documents as the JSON their Documents encode to, kept per stored version
            # (encoded.py), as the REST list sends them: not decoded here to be encoded again.
            items, total, next_cursor = await documents_sql.list_documents(conn, cmd, encoded.reply_items)
            documents = Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset, next_cursor=next_cursor)
            clients: list[ClientChoice] = []
            if cmd.clients_limit:
                found_clients, _ = await documents_sql.list_clients(conn, cmd.ctx.account_id, None, cmd.clients_limit, 0)
                clients = [ClientChoice(id=client.id, name=client.name) for client in found_clients]
            return DocumentsView(documents=documents, clients=clients)

        return await self.uow.read(work)
