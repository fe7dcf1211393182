"""Bus edge of the pages' reads: a document's page and the documents list, each answered from one
connection with the queries the single reads use, so a page costs one bus call and shows what the
REST calls would. No `from __future__ import annotations`: see documents/handlers.py.
"""

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.overview import sql as overview_sql
from billwire_invoices.documents.views import rules
from billwire_invoices.email import sql as email_sql
from billwire_invoices.email import templates
from billwire_invoices.lifecycle import sql as lifecycle_sql
from billwire_invoices.uow import UnitOfWork
from billwire_shared import subjects
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.email_settings import SendPreview
from billwire_shared.contracts.pages import ClientChoice, DocumentsView, DocumentView, GetDocumentView, ListDocumentsView
from billwire_shared.contracts.users import Activity
from billwire_shared.errors import ErrorCode, found


class ViewHandlers:
    """One method per RPC subject of the pages' reads (each marked with the subject it answers)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.uow = UnitOfWork(pool)

    @answers(subjects.DOCUMENT_VIEW)
    async def document_view(self, cmd: GetDocumentView) -> DocumentView:
        account_id = cmd.ctx.account_id

        async def work(conn: asyncpg.Connection) -> DocumentView:
            doc = found(await documents_sql.get_document(conn, account_id, cmd.id), ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            parts = rules.parts_of(doc, cmd.with_send_preview)
            history = [msgspec.convert(dict(row), Activity) for row in await overview_sql.activity(conn, account_id, cmd.id, cmd.history_limit)]
            view = DocumentView(document=doc, history=history)
            if "sends" in parts:
                view.sends = await lifecycle_sql.sends_of(conn, account_id, cmd.id)
            if "payments" in parts:
                view.payments = await lifecycle_sql.payments_of(conn, account_id, cmd.id)
            if "refunds" in parts:
                view.refunds = await lifecycle_sql.refunds_of(conn, account_id, cmd.id)
            if "send_preview" in parts:
                profile, saved = await email_sql.get_profile_and_templates(conn, account_id)
                subject, message = templates.compose(doc, profile, saved, doc.type)
                view.send_preview = SendPreview(recipient=doc.client.email, subject=subject, message=message)
            return view

        return await self.uow.read(work)

    @answers(subjects.DOCUMENT_LIST_VIEW)
    async def documents_view(self, cmd: ListDocumentsView) -> DocumentsView:
        async def work(conn: asyncpg.Connection) -> DocumentsView:
            items, total, next_cursor = await documents_sql.list_documents(conn, cmd)
            documents = Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset, next_cursor=next_cursor)
            clients: list[ClientChoice] = []
            if cmd.clients_limit:
                found_clients, _ = await documents_sql.list_clients(conn, cmd.ctx.account_id, None, cmd.clients_limit, 0)
                clients = [ClientChoice(id=client.id, name=client.name) for client in found_clients]
            return DocumentsView(documents=documents, clients=clients)

        return await self.uow.read(work)
