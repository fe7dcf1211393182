"""Bus handlers of clients, products and documents: decode a command, call the rules, write
through the unit of work, reply. Issuing and making drafts live in drafts.py (sends, cancels
and drafting from text use them too).

No `from __future__ import annotations` here: fast-depends resolves string annotations
against the locals of every frame on the stack, where a local name may shadow ours.
"""

import contextlib
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts import sql as accounts_sql
from billwire_invoices.accounts.handlers import logo_of
from billwire_invoices.documents import einvoice, encoded, quota, rules, sql
from billwire_invoices.documents.drafts import (
    buyer,
    create_draft,
    draft_of,
    issue,
    issue_action,
    locked_document,
    number_unique,
    priced_lines,
)
from billwire_invoices.documents.einvoice import checks as einvoice_checks
from billwire_invoices.documents.limits import DocumentLimits, size_problems
from billwire_invoices.documents.vat import note_for
from billwire_invoices.lifecycle import rules as lifecycle_rules
from billwire_invoices.uow import UnitOfWork, refused_if_taken, utcnow
from billwire_shared import subjects
from billwire_shared.contracts.accounts import Seller, seller_of
from billwire_shared.contracts.clients import (
    Client,
    ClientInput,
    CreateClient,
    CreateProduct,
    ListClients,
    ListProducts,
    Product,
    UpdateClient,
    UpdateProduct,
)
from billwire_shared.contracts.common import ById, Caller, Deleted, Page
from billwire_shared.contracts.documents import (
    CreateDocument,
    Document,
    DocumentById,
    ListDocuments,
    PreviewDocument,
    UpdateDocument,
)
from billwire_shared.contracts.rendering import EInvoiceXml, GetRenderInput, RenderInput
from billwire_shared.errors import ErrorCode, found
from billwire_shared.ids import new_id


def _client_number_unique() -> contextlib.AbstractContextManager[None]:
    """A client number another client of the account has is a 409 naming the field."""
    return refused_if_taken(
        "clients_number", ErrorCode.CLIENT_NUMBER_TAKEN, "Another client of this account has that client number.",
        "client_number", "already used by another client",
    )


class DocumentHandlers:
    """One method per RPC subject of clients, products and documents (each marked with the subject it answers)."""

    def __init__(self, pool: asyncpg.Pool, limits: DocumentLimits | None = None, documents_quota: int = 0) -> None:
        self.uow = UnitOfWork(pool)
        self.limits = limits or DocumentLimits()
        self.documents_quota = documents_quota  # per account and month; 0 is unlimited
        # The e-invoice validators (schema, compiled schematron) load when the first e-invoice is validated
        # (or at start once e-invoices are in use: app.start_loops) and are kept: a service whose accounts
        # never make one never pays their memory.

    # -- clients -----------------------------------------------------------------------------

    @answers(subjects.CLIENT_CREATE)
    async def create_client(self, cmd: CreateClient) -> Client:
        client_input = rules.validate_client(cmd.client)
        if client_input.export_type in einvoice.SYNTAX:
            einvoice.warm_up()  # this client's first invoice is an e-invoice: compile the checks now

        async def work(conn: asyncpg.Connection) -> Client:
            now = utcnow()
            client = Client(**msgspec.structs.asdict(client_input), id=new_id(), created_at=now, updated_at=now)
            statement = sql.insert_client(cmd.ctx.account_id, client)
            with _client_number_unique():
                await self.uow.apply(conn, statement, cmd.ctx, "client", client.id, "create", None, client, "client.created", now)
            return client

        return await self.uow.write(cmd.ctx, Client, work, one_write=True)

    @answers(subjects.CLIENT_GET)
    async def get_client(self, cmd: ById) -> Client:
        client = await self.uow.read(lambda conn: sql.get_client(conn, cmd.ctx.account_id, cmd.id))
        return found(client, ErrorCode.CLIENT_NOT_FOUND, "Client", cmd.id)

    @answers(subjects.CLIENT_LIST)
    async def list_clients(self, cmd: ListClients) -> Page[Client]:
        return await self.uow.read_page(cmd, lambda conn: sql.list_clients(conn, cmd.ctx.account_id, cmd.q, cmd.limit, cmd.offset))

    @answers(subjects.CLIENT_UPDATE)
    async def update_client(self, cmd: UpdateClient) -> Client:
        async def work(conn: asyncpg.Connection) -> Client:
            before = found(await sql.get_client(conn, cmd.ctx.account_id, cmd.id, lock=True), ErrorCode.CLIENT_NOT_FOUND, "Client", cmd.id)
            values = rules.merge(before, cmd.patch) | {"updated_at": utcnow()}
            after = msgspec.convert(values, Client, from_attributes=True)
            rules.validate_client(after)
            statement = sql.update_client(cmd.ctx.account_id, after)
            with _client_number_unique():
                await self.uow.apply(conn, statement, cmd.ctx, "client", after.id, "update", before, after, "client.updated", after.updated_at)
            return after

        return await self.uow.write(cmd.ctx, Client, work)

    @answers(subjects.CLIENT_DELETE)
    async def delete_client(self, cmd: ById) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            before = found(await sql.get_client(conn, cmd.ctx.account_id, cmd.id, lock=True), ErrorCode.CLIENT_NOT_FOUND, "Client", cmd.id)
            statement = sql.delete_row("clients", cmd.ctx.account_id, cmd.id)
            await self.uow.apply(conn, statement, cmd.ctx, "client", cmd.id, "delete", before, None, "client.deleted", utcnow())
            return Deleted(id=cmd.id)

        return await self.uow.write(cmd.ctx, Deleted, work)

    # -- products ----------------------------------------------------------------------------

    @answers(subjects.PRODUCT_CREATE)
    async def create_product(self, cmd: CreateProduct) -> Product:
        async def work(conn: asyncpg.Connection) -> Product:
            profile = await accounts_sql.get_profile(conn, cmd.ctx.account_id)
            values = rules.product_from_input(rules.given_fields(cmd.product), profile.default_tax_rate)
            now = utcnow()
            product = Product(**values, id=new_id(), created_at=now, updated_at=now)
            statement = sql.insert_product(cmd.ctx.account_id, product)
            await self.uow.apply(conn, statement, cmd.ctx, "product", product.id, "create", None, product, None, now)
            return product

        return await self.uow.write(cmd.ctx, Product, work, one_write=True)

    @answers(subjects.PRODUCT_GET)
    async def get_product(self, cmd: ById) -> Product:
        products = await self.uow.read(lambda conn: sql.get_products(conn, cmd.ctx.account_id, [cmd.id]))
        return found(products.get(cmd.id), ErrorCode.PRODUCT_NOT_FOUND, "Product", cmd.id)

    @answers(subjects.PRODUCT_LIST)
    async def list_products(self, cmd: ListProducts) -> Page[Product]:
        return await self.uow.read_page(cmd, lambda conn: sql.list_products(conn, cmd.ctx.account_id, cmd.q, cmd.limit, cmd.offset))

    @answers(subjects.PRODUCT_UPDATE)
    async def update_product(self, cmd: UpdateProduct) -> Product:
        async def work(conn: asyncpg.Connection) -> Product:
            products = await sql.get_products(conn, cmd.ctx.account_id, [cmd.id])
            before = found(products.get(cmd.id), ErrorCode.PRODUCT_NOT_FOUND, "Product", cmd.id)
            values = rules.given_fields(before) | rules.given_fields(cmd.patch)
            net_given, gross_given = cmd.patch.net_price is not msgspec.UNSET, cmd.patch.gross_price is not msgspec.UNSET
            if net_given and not gross_given:
                values.pop("gross_price")  # a new net price replaces the stored gross
            elif not net_given and values.get("gross_price") is not None:
                values.pop("net_price")  # the gross price is the product's price: the net follows it
            profile = await accounts_sql.get_profile(conn, cmd.ctx.account_id)
            normalised = rules.product_from_input(values, profile.default_tax_rate)
            after = msgspec.structs.replace(before, **normalised, updated_at=utcnow())
            statement = sql.update_product(cmd.ctx.account_id, after)
            await self.uow.apply(conn, statement, cmd.ctx, "product", after.id, "update", before, after, None, after.updated_at)
            return after

        return await self.uow.write(cmd.ctx, Product, work)

    @answers(subjects.PRODUCT_DELETE)
    async def delete_product(self, cmd: ById) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            products = await sql.get_products(conn, cmd.ctx.account_id, [cmd.id], lock=True)
            before = found(products.get(cmd.id), ErrorCode.PRODUCT_NOT_FOUND, "Product", cmd.id)
            statement = sql.delete_row("products", cmd.ctx.account_id, cmd.id)
            await self.uow.apply(conn, statement, cmd.ctx, "product", cmd.id, "delete", before, None, None, utcnow())
            return Deleted(id=cmd.id)

        return await self.uow.write(cmd.ctx, Deleted, work)

    # -- documents ---------------------------------------------------------------------------

    @answers(subjects.DOCUMENT_CREATE)
    async def create_document(self, cmd: CreateDocument) -> Document:
        rules.check(rules.document_problems(cmd.document) + size_problems(cmd.document.lines, self.limits))
        work = quota.within_quota(self.documents_quota, cmd.ctx.account_id, lambda conn: create_draft(conn, cmd.ctx, cmd.document))
        return await self.uow.write(cmd.ctx, Document, work, one_write=not self.documents_quota)

    @answers(subjects.DOCUMENT_PREVIEW)
    async def preview_document(self, cmd: PreviewDocument) -> Document:
        """Lines and totals as `create_document` would compute them, with the account's products,
        profile and the chosen client's terms; neither stored nor audited."""
        body = cmd.document
        rules.check(rules.document_problems(body) + size_problems(body.lines, self.limits))

        async def work(conn: asyncpg.Connection) -> Document:
            profile, client = await sql.get_profile_and_client(conn, cmd.ctx.account_id, body.client_id)
            no_buyer_yet = body.client_id is None and body.client is None
            client_id, client_input = buyer(body.client_id, ClientInput(name="") if no_buyer_yet else body.client, client)
            currency = body.currency or client_input.currency or profile.default_currency
            lines = await priced_lines(conn, cmd.ctx.account_id, body.lines, profile, currency)
            return draft_of(body, profile, client_id, client_input, lines, currency, utcnow())

        return await self.uow.read(work)

    @answers(subjects.DOCUMENT_GET)
    async def get_document(self, cmd: DocumentById) -> Document:
        doc = await self.uow.read(lambda conn: sql.get_document(conn, cmd.ctx.account_id, cmd.id, cmd.type))
        return found(doc, ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)

    @answers(subjects.DOCUMENT_LIST)
    async def list_documents(self, cmd: ListDocuments) -> Page[Document]:
        """The page's documents go out as the JSON their `Document`s encode to, kept per stored version
        (encoded.py): the reply is what encoding the Documents gives, without decoding them again."""
        return await self.uow.read_page(cmd, lambda conn: sql.list_documents(conn, cmd, encoded.reply_items))

    @staticmethod
    async def _locked_draft(conn: asyncpg.Connection, ctx: Caller, doc_id: UUID, doc_type: str | None) -> Document:
        doc = await locked_document(conn, ctx.account_id, doc_id, doc_type)
        rules.ensure_draft(doc)
        return doc

    @answers(subjects.DOCUMENT_UPDATE)
    async def update_document(self, cmd: UpdateDocument) -> Document:
        """A draft's content; an issued document's status fields only (lifecycle rules `issued_patch`)."""
        patch = cmd.patch

        async def work(conn: asyncpg.Connection) -> Document:
            account_id = cmd.ctx.account_id
            before = await locked_document(conn, account_id, cmd.id, cmd.type)
            if before.status != "draft":
                if not rules.given_fields(patch):
                    return before  # nothing to change: no write, no audit entry
                after, action, event = lifecycle_rules.issued_patch(before, patch, utcnow())
                statement = sql.save_document(account_id, after)
                await self.uow.apply(conn, statement, cmd.ctx, "document", after.id, action, before, after, event, after.updated_at)
                return after
            rules.check_draft_patch(patch)
            rules.check(rules.document_problems(rules.given_fields(patch)) + size_problems(patch.lines, self.limits))
            values = rules.merge(before, patch)
            if patch.due_date not in (msgspec.UNSET, None):
                values["due_days"] = None  # a fixed date replaces payment terms
            elif patch.due_days is not msgspec.UNSET:
                values["due_date"] = None  # terms replace a fixed date; refresh derives it
            rules.check(rules.document_problems(values, exclusive=False))
            new_client_id = patch.client_id if patch.client_id is not msgspec.UNSET else None
            profile, client = await sql.get_profile_and_client(conn, account_id, new_client_id)
            if patch.client_id is not msgspec.UNSET or patch.client is not msgspec.UNSET:
                inline = patch.client if patch.client is not msgspec.UNSET else None
                client_id, client_input = buyer(new_client_id, inline, client)
                values.update(client_id=client_id, client=rules.snapshot_of(client_input))
            if patch.lines is not msgspec.UNSET:
                values["lines"] = await priced_lines(conn, account_id, patch.lines, profile, values["currency"])
            now = utcnow()
            values.update(version=before.version + 1, updated_at=now)
            after = rules.refresh(msgspec.convert(values, Document, from_attributes=True))
            after = msgspec.structs.replace(after, vat_note=note_for(after, profile, patch.lines or None))
            einvoice_checks.export_type_for(after.type, patch.export_type or None, None, "pdf")
            await einvoice_checks.check(after, seller_of(profile))
            statement = sql.save_document(account_id, after)
            with number_unique():
                await self.uow.apply(conn, statement, cmd.ctx, "document", after.id, "update", before, after, f"{after.type}.updated", now)
            return after

        return await self.uow.write(cmd.ctx, Document, work)

    async def delete_on(self, conn: asyncpg.Connection, cmd: DocumentById) -> Deleted:
        before = await self._locked_draft(conn, cmd.ctx, cmd.id, cmd.type)
        statement = sql.delete_row("documents", cmd.ctx.account_id, cmd.id)
        await self.uow.apply(conn, statement, cmd.ctx, "document", cmd.id, "delete", before, None, f"{before.type}.deleted", utcnow())
        return Deleted(id=cmd.id)

    @answers(subjects.DOCUMENT_DELETE)
    async def delete_document(self, cmd: DocumentById) -> Deleted:
        return await self.uow.write(cmd.ctx, Deleted, lambda conn: self.delete_on(conn, cmd), held="delete")

    async def finalize_on(self, conn: asyncpg.Connection, cmd: DocumentById) -> Document:
        """Issue the draft inside the caller's transaction (an approved finalize runs here too)."""
        before = await self._locked_draft(conn, cmd.ctx, cmd.id, cmd.type)
        after = await issue(conn, cmd.ctx.account_id, before)
        statement = sql.save_document(cmd.ctx.account_id, after)
        action = issue_action(after)
        await self.uow.apply(conn, statement, cmd.ctx, "document", after.id, action, before, after, f"{after.type}.finalized", after.updated_at)
        return after

    @answers(subjects.DOCUMENT_FINALIZE)
    async def finalize_document(self, cmd: DocumentById) -> Document:
        return await self.uow.write(cmd.ctx, Document, lambda conn: self.finalize_on(conn, cmd), held="finalize")

    # -- what rendering asks for -------------------------------------------------------------

    @answers(subjects.DOCUMENT_RENDER_INPUT)
    async def render_input(self, cmd: GetRenderInput) -> RenderInput:
        """An issued document renders with its frozen seller; a draft with the profile of now."""
        async def work(conn: asyncpg.Connection) -> tuple[Document, Seller, asyncpg.Record | None]:
            doc, logo = await sql.get_document_and_logo(conn, cmd.ctx.account_id, cmd.id)
            doc = found(doc, ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            return doc, doc.seller or seller_of(await accounts_sql.get_profile(conn, cmd.ctx.account_id)), logo

        doc, seller, logo = await self.uow.read(work)
        xml = EInvoiceXml(export_type=doc.export_type, xml=einvoice.build(doc, seller)) if einvoice.is_einvoice(doc) else None
        return RenderInput(document=doc, seller=seller, logo=logo_of(logo) if logo else None, einvoice=xml)
