"""Bus handlers: decode a contract, call the domain, persist through the repository, reply.

No `from __future__ import annotations` here: fast-depends resolves string annotations
against the locals of every frame on the stack, where any `c` or `d` may shadow ours.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import domain
from billwire_invoices import repository as repo
from billwire_invoices.einvoice import checks as einvoice
from billwire_shared import subjects as s
from billwire_shared.contracts import accounts as a
from billwire_shared.contracts import clients as c
from billwire_shared.contracts import documents as d
from billwire_shared.contracts.common import ById, Caller, Deleted, Page
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, not_found
from billwire_shared.ids import new_id
from billwire_shared.keys import display_prefix, generate_key, hash_key
from billwire_shared.subjects import Names

Work = Callable[[asyncpg.Connection], Awaitable[Any]]
R = TypeVar("R")


def utcnow() -> datetime:
    return datetime.now(UTC)


class InvoicesHandlers:
    """One method per RPC subject; writes run in one transaction with their audit row and event."""

    def __init__(self, pool: asyncpg.Pool, publish: Callable[[str, bytes], Awaitable[None]] | None = None) -> None:
        self.pool = pool
        self.publish = publish
        einvoice.warm_up()  # compile the e-invoice validators before the first save needs them

    # -- plumbing ----------------------------------------------------------------------------

    async def _write(
        self, ctx: Caller, reply_type: type[R], work: Work, kept: Callable[[R], R] = lambda r: r, *, one_write: bool = False
    ) -> R:
        """Run `work` in a transaction; with an Idempotency-Key, a replay gets the first reply
        (as `kept` leaves it: a secret is never stored for a replay). Work that only reads and
        then writes one statement (`one_write`) needs no transaction of its own without a key."""
        if one_write and not ctx.idempotency_key:
            async with self.pool.acquire() as conn:
                return await work(conn)
        async with self.pool.acquire() as conn, conn.transaction():
            if ctx.idempotency_key:
                earlier = await repo.claim_idempotency_key(conn, ctx)
                if earlier is not None:
                    if earlier["fingerprint"] != (ctx.fingerprint or ""):
                        raise BillwireError(
                            ErrorCode.IDEMPOTENCY_KEY_REUSED,
                            "This Idempotency-Key was already used with a different request.",
                            [FieldError(field="Idempotency-Key", message="already used with another method, path or body")],
                        )
                    return msgspec.json.decode(earlier["reply"], type=reply_type)
            result = await work(conn)
            if ctx.idempotency_key:
                await repo.store_idempotent_reply(conn, ctx, msgspec.json.encode(kept(result)))
            return result

    async def _read(self, work: Work) -> Any:
        async with self.pool.acquire() as conn:
            return await work(conn)

    @staticmethod
    async def _apply(
        conn: asyncpg.Connection, statement: repo.Statement, ctx: Caller, entity: str, entity_id: UUID, action: str,
        before: Any, after: Any, event_type: str | None, now: datetime,
    ) -> None:
        """Write `statement` with its audit row and (when `event_type`) its event."""
        event = repo.new_event(event_type, ctx.account_id, after if after is not None else before, now) if event_type else None
        change = repo.Change(entity=entity, entity_id=entity_id, action=action, before=before, after=after, event=event)
        try:
            await repo.apply(conn, statement, ctx, change)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != "clients_number":
                raise
            raise BillwireError(
                ErrorCode.CLIENT_NUMBER_TAKEN, "Another client of this account has that client number.",
                [FieldError(field="client_number", message="already used by another client")],
            ) from exc

    # -- auth ---------------------------------------------------------------------

    async def verify_key(self, body: a.VerifyKey) -> a.KeyIdentity:
        async with self.pool.acquire() as conn:
            row = await repo.find_active_key(conn, body.key_hash)
        if row is None:
            return a.KeyIdentity(found=False)
        return a.KeyIdentity(found=True, account_id=row["account_id"], key_id=row["id"], scopes=list(row["scopes"]))

    # -- profile and API keys ----------------------------------------------------------------

    async def get_profile(self, cmd: a.GetProfile) -> a.Profile:
        return await self._read(lambda conn: repo.get_profile(conn, cmd.ctx.account_id))

    async def update_profile(self, cmd: a.UpdateProfile) -> a.Profile:
        async def work(conn: asyncpg.Connection) -> a.Profile:
            before = await repo.get_profile(conn, cmd.ctx.account_id)
            after = domain.apply_profile_patch(before, cmd.patch)
            statement = repo.save_profile(cmd.ctx.account_id, after)
            await self._apply(conn, statement, cmd.ctx, "profile", cmd.ctx.account_id, "update", before, after, None, utcnow())
            return after

        return await self._write(cmd.ctx, a.Profile, work)

    async def create_api_key(self, cmd: a.CreateApiKey) -> a.NewApiKey:
        async def work(conn: asyncpg.Connection) -> a.NewApiKey:
            return await issue_api_key(conn, cmd.ctx.account_id, cmd.key.name, list(cmd.key.scopes))

        return await self._write(cmd.ctx, a.NewApiKey, work, kept=lambda key: msgspec.structs.replace(key, key=""))

    async def list_api_keys(self, cmd: a.ListApiKeys) -> list[a.ApiKey]:
        return await self._read(lambda conn: repo.list_api_keys(conn, cmd.ctx.account_id))

    async def revoke_api_key(self, cmd: ById) -> a.ApiKey:
        async def work(conn: asyncpg.Connection) -> a.ApiKey:
            key = await repo.revoke_api_key(conn, cmd.ctx.account_id, cmd.id)
            if key is None:
                raise not_found(ErrorCode.API_KEY_NOT_FOUND, "API key", cmd.id)
            return key

        key = await self._write(cmd.ctx, a.ApiKey, work)
        if self.publish is not None:
            await self.publish(s.API_KEY_REVOKED, msgspec.json.encode({"key_id": str(cmd.id)}))
        return key

    # -- clients -----------------------------------------------------------------------------

    async def create_client(self, cmd: c.CreateClient) -> c.Client:
        client_input = domain.validate_client(cmd.client)

        async def work(conn: asyncpg.Connection) -> c.Client:
            now = utcnow()
            client = c.Client(**msgspec.structs.asdict(client_input), id=new_id(), created_at=now, updated_at=now)
            statement = repo.insert_client(cmd.ctx.account_id, client)
            await self._apply(conn, statement, cmd.ctx, "client", client.id, "create", None, client, "client.created", now)
            return client

        return await self._write(cmd.ctx, c.Client, work, one_write=True)

    async def get_client(self, cmd: ById) -> c.Client:
        client = await self._read(lambda conn: repo.get_client(conn, cmd.ctx.account_id, cmd.id))
        if client is None:
            raise not_found(ErrorCode.CLIENT_NOT_FOUND, "Client", cmd.id)
        return client

    async def list_clients(self, cmd: c.ListClients) -> Page[c.Client]:
        items, total = await self._read(lambda conn: repo.list_clients(conn, cmd.ctx.account_id, cmd.q, cmd.limit, cmd.offset))
        return Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset)

    async def update_client(self, cmd: c.UpdateClient) -> c.Client:
        async def work(conn: asyncpg.Connection) -> c.Client:
            before = await repo.get_client(conn, cmd.ctx.account_id, cmd.id, lock=True)
            if before is None:
                raise not_found(ErrorCode.CLIENT_NOT_FOUND, "Client", cmd.id)
            values = domain.merge(before, cmd.patch) | {"updated_at": utcnow()}
            after = msgspec.convert(values, c.Client, from_attributes=True)
            domain.validate_client(after)
            statement = repo.update_client(cmd.ctx.account_id, after)
            await self._apply(conn, statement, cmd.ctx, "client", after.id, "update", before, after, "client.updated", after.updated_at)
            return after

        return await self._write(cmd.ctx, c.Client, work)

    async def delete_client(self, cmd: ById) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            before = await repo.get_client(conn, cmd.ctx.account_id, cmd.id, lock=True)
            if before is None:
                raise not_found(ErrorCode.CLIENT_NOT_FOUND, "Client", cmd.id)
            statement = repo.delete_row("clients", cmd.ctx.account_id, cmd.id)
            await self._apply(conn, statement, cmd.ctx, "client", cmd.id, "delete", before, None, "client.deleted", utcnow())
            return Deleted(id=cmd.id)

        return await self._write(cmd.ctx, Deleted, work)

    # -- products ----------------------------------------------------------------------------

    async def create_product(self, cmd: c.CreateProduct) -> c.Product:
        async def work(conn: asyncpg.Connection) -> c.Product:
            profile = await repo.get_profile(conn, cmd.ctx.account_id)
            values = domain.product_from_input(domain.given_fields(cmd.product), profile.default_tax_rate)
            now = utcnow()
            product = c.Product(**values, id=new_id(), created_at=now, updated_at=now)
            statement = repo.insert_product(cmd.ctx.account_id, product)
            await self._apply(conn, statement, cmd.ctx, "product", product.id, "create", None, product, None, now)
            return product

        return await self._write(cmd.ctx, c.Product, work, one_write=True)

    async def get_product(self, cmd: ById) -> c.Product:
        found = await self._read(lambda conn: repo.get_products(conn, cmd.ctx.account_id, [cmd.id]))
        if cmd.id not in found:
            raise not_found(ErrorCode.PRODUCT_NOT_FOUND, "Product", cmd.id)
        return found[cmd.id]

    async def list_products(self, cmd: c.ListProducts) -> Page[c.Product]:
        items, total = await self._read(lambda conn: repo.list_products(conn, cmd.ctx.account_id, cmd.q, cmd.limit, cmd.offset))
        return Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset)

    async def update_product(self, cmd: c.UpdateProduct) -> c.Product:
        async def work(conn: asyncpg.Connection) -> c.Product:
            before = (await repo.get_products(conn, cmd.ctx.account_id, [cmd.id])).get(cmd.id)
            if before is None:
                raise not_found(ErrorCode.PRODUCT_NOT_FOUND, "Product", cmd.id)
            values = domain.given_fields(before) | domain.given_fields(cmd.patch)
            if cmd.patch.gross_price is not msgspec.UNSET and cmd.patch.net_price is msgspec.UNSET:
                values.pop("net_price")  # a new gross price replaces the stored net
            profile = await repo.get_profile(conn, cmd.ctx.account_id)
            normalised = domain.product_from_input(values, profile.default_tax_rate)
            after = msgspec.structs.replace(before, **normalised, updated_at=utcnow())
            statement = repo.update_product(cmd.ctx.account_id, after)
            await self._apply(conn, statement, cmd.ctx, "product", after.id, "update", before, after, None, after.updated_at)
            return after

        return await self._write(cmd.ctx, c.Product, work)

    async def delete_product(self, cmd: ById) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            before = (await repo.get_products(conn, cmd.ctx.account_id, [cmd.id], lock=True)).get(cmd.id)
            if before is None:
                raise not_found(ErrorCode.PRODUCT_NOT_FOUND, "Product", cmd.id)
            statement = repo.delete_row("products", cmd.ctx.account_id, cmd.id)
            await self._apply(conn, statement, cmd.ctx, "product", cmd.id, "delete", before, None, None, utcnow())
            return Deleted(id=cmd.id)

        return await self._write(cmd.ctx, Deleted, work)

    # -- documents ---------------------------------------------------------------------------

    @staticmethod
    def _buyer(client_id: UUID | None, inline: c.ClientInput | None, client: c.Client | None) -> tuple[UUID | None, c.ClientInput]:
        """The document's buyer: the stored client `client_id` names (fetched as `client`) or an inline one."""
        if client_id is not None and inline is not None:
            raise domain.invalid([FieldError(field="client", message="give either client_id or client, not both")])
        if client_id is not None:
            if client is None:
                raise BillwireError(
                    ErrorCode.CLIENT_NOT_FOUND, f"Client {client_id} was not found.",
                    [FieldError(field="client_id", message="no such client in this account")], status=422,
                )
            return client.id, client
        if inline is None:
            raise domain.invalid([FieldError(field="client_id", message="client_id or an inline client is required")])
        return None, domain.validate_client(inline, "client")

    async def _lines(self, conn: asyncpg.Connection, account_id: UUID, lines: list[d.LineInput], profile: a.Profile, currency: str) -> list[d.Line]:
        products = await repo.get_products(conn, account_id, [line.product_id for line in lines if line.product_id])
        return domain.build_lines(lines, products, profile.default_tax_rate, currency)

    async def create_document(self, cmd: d.CreateDocument) -> d.Document:
        body = cmd.document
        domain.check(domain.document_problems(body))

        async def work(conn: asyncpg.Connection) -> d.Document:
            account_id = cmd.ctx.account_id
            profile, client = await repo.get_profile_and_client(conn, account_id, body.client_id)
            client_id, buyer = self._buyer(body.client_id, body.client, client)
            currency = body.currency or buyer.currency or profile.default_currency
            lines = await self._lines(conn, account_id, body.lines, profile, currency)
            due_days = body.due_days
            if due_days is None and body.due_date is None and body.type == "invoice":
                due_days = profile.default_payment_terms_days
            now = utcnow()
            doc = domain.refresh(d.Document(
                id=new_id(), type=body.type, status="draft", number=None, client_id=client_id,
                client=domain.snapshot_of(buyer), currency=currency, issue_date=body.issue_date,
                service_date=body.service_date, service_period=body.service_period, due_date=body.due_date,
                due_days=due_days, introduction=body.introduction, notes=body.notes,
                discount_rate=body.discount_rate,
                vat_regulation=body.vat_regulation or buyer.vat_regulation or "standard",
                language=body.language or buyer.language or profile.language,
                lines=lines, totals=domain.compute_totals([], currency, None, "standard"),
                version=1, created_at=now, updated_at=now, tax_exemption_reason=body.tax_exemption_reason,
                export_type=einvoice.export_type_for(body.type, body.export_type, buyer.export_type, profile.default_export_type),
            ))
            await einvoice.check(doc, a.seller_of(profile))
            statement = repo.insert_document(account_id, doc)
            await self._apply(conn, statement, cmd.ctx, "document", doc.id, "create", None, doc, f"{doc.type}.created", now)
            return doc

        return await self._write(cmd.ctx, d.Document, work, one_write=True)

    async def get_document(self, cmd: d.GetDocument) -> d.Document:
        doc = await self._read(lambda conn: repo.get_document(conn, cmd.ctx.account_id, cmd.id, cmd.type))
        if doc is None:
            raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
        return doc

    async def list_documents(self, cmd: d.ListDocuments) -> Page[d.Document]:
        items, total = await self._read(lambda conn: repo.list_documents(conn, cmd))
        return Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset)

    async def _locked_draft(self, conn: asyncpg.Connection, ctx: Caller, doc_id: UUID, doc_type: str | None) -> d.Document:
        doc = await repo.get_document(conn, ctx.account_id, doc_id, doc_type, lock=True)
        if doc is None:
            raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Document", doc_id)
        domain.ensure_draft(doc)
        return doc

    async def update_document(self, cmd: d.UpdateDocument) -> d.Document:
        patch = cmd.patch

        async def work(conn: asyncpg.Connection) -> d.Document:
            account_id = cmd.ctx.account_id
            before = await self._locked_draft(conn, cmd.ctx, cmd.id, cmd.type)
            domain.check(domain.document_problems(domain.given_fields(patch)))
            values = domain.merge(before, patch)
            if patch.due_date not in (msgspec.UNSET, None):
                values["due_days"] = None  # a fixed date replaces payment terms
            elif patch.due_days is not msgspec.UNSET:
                values["due_date"] = None  # terms replace a fixed date; refresh derives it
            domain.check(domain.document_problems(values, exclusive=False))
            new_client_id = patch.client_id if patch.client_id is not msgspec.UNSET else None
            profile, client = await repo.get_profile_and_client(conn, account_id, new_client_id)
            if patch.client_id is not msgspec.UNSET or patch.client is not msgspec.UNSET:
                inline = patch.client if patch.client is not msgspec.UNSET else None
                client_id, buyer = self._buyer(new_client_id, inline, client)
                values.update(client_id=client_id, client=domain.snapshot_of(buyer))
            if patch.lines is not msgspec.UNSET:
                values["lines"] = await self._lines(conn, account_id, patch.lines, profile, values["currency"])
            now = utcnow()
            values.update(version=before.version + 1, updated_at=now)
            after = domain.refresh(msgspec.convert(values, d.Document, from_attributes=True))
            einvoice.export_type_for(after.type, patch.export_type or None, None, "pdf")
            await einvoice.check(after, a.seller_of(profile))
            statement = repo.save_document(account_id, after)
            await self._apply(conn, statement, cmd.ctx, "document", after.id, "update", before, after, f"{after.type}.updated", now)
            return after

        return await self._write(cmd.ctx, d.Document, work)

    async def delete_document(self, cmd: d.DeleteDocument) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            before = await self._locked_draft(conn, cmd.ctx, cmd.id, cmd.type)
            statement = repo.delete_row("documents", cmd.ctx.account_id, cmd.id)
            await self._apply(conn, statement, cmd.ctx, "document", cmd.id, "delete", before, None, f"{before.type}.deleted", utcnow())
            return Deleted(id=cmd.id)

        return await self._write(cmd.ctx, Deleted, work)

    async def finalize_document(self, cmd: d.FinalizeDocument) -> d.Document:
        async def work(conn: asyncpg.Connection) -> d.Document:
            account_id = cmd.ctx.account_id
            before = await self._locked_draft(conn, cmd.ctx, cmd.id, cmd.type)
            profile = await repo.get_profile(conn, account_id)
            missing = domain.finalize_problems(before, profile)
            if missing:
                raise BillwireError(ErrorCode.DOCUMENT_INCOMPLETE, "The document is missing what an issued document must carry.", missing)
            issue_date = before.issue_date or date.today()
            series = getattr(profile.number_series, before.type)
            sequence = await repo.next_in_series(conn, account_id, before.type, domain.series_period(issue_date, series.yearly_reset))
            now = utcnow()
            number = domain.format_number(series.pattern, sequence, issue_date)
            after = domain.finalize(before, a.seller_of(profile), number, issue_date, now)
            await einvoice.check(after, after.seller)
            statement = repo.save_document(account_id, after)
            await self._apply(conn, statement, cmd.ctx, "document", after.id, "finalize", before, after, f"{after.type}.finalized", now)
            return after

        return await self._write(cmd.ctx, d.Document, work)


async def issue_api_key(conn: asyncpg.Connection, account_id: UUID, name: str, scopes: list[str], secret: str | None = None) -> a.NewApiKey:
    """Store a key's hash; the secret is returned here once and never again."""
    secret = secret or generate_key()
    key = a.NewApiKey(id=new_id(), name=name, prefix=display_prefix(secret), scopes=scopes, created_at=utcnow(), key=secret)
    await repo.insert_api_key(conn, account_id, key, hash_key(secret))
    return key


async def create_account(pool: asyncpg.Pool, name: str) -> tuple[UUID, a.NewApiKey]:
    """A new account with its first admin key (used by the CLI and `make run`)."""
    account_id = new_id()
    async with pool.acquire() as conn, conn.transaction():
        await repo.insert_account(conn, account_id, name, a.Profile(company_name=name))
        key = await issue_api_key(conn, account_id, "admin", ["read", "write", "email:send", "admin"])
    return account_id, key


ROUTES: dict[str, str] = {
    s.AUTH_VERIFY: "verify_key",
    s.PROFILE_GET: "get_profile",
    s.PROFILE_UPDATE: "update_profile",
    s.API_KEY_CREATE: "create_api_key",
    s.API_KEY_LIST: "list_api_keys",
    s.API_KEY_REVOKE: "revoke_api_key",
    s.CLIENT_CREATE: "create_client",
    s.CLIENT_GET: "get_client",
    s.CLIENT_LIST: "list_clients",
    s.CLIENT_UPDATE: "update_client",
    s.CLIENT_DELETE: "delete_client",
    s.PRODUCT_CREATE: "create_product",
    s.PRODUCT_GET: "get_product",
    s.PRODUCT_LIST: "list_products",
    s.PRODUCT_UPDATE: "update_product",
    s.PRODUCT_DELETE: "delete_product",
    s.DOCUMENT_CREATE: "create_document",
    s.DOCUMENT_GET: "get_document",
    s.DOCUMENT_LIST: "list_documents",
    s.DOCUMENT_UPDATE: "update_document",
    s.DOCUMENT_DELETE: "delete_document",
    s.DOCUMENT_FINALIZE: "finalize_document",
}


def register(broker: Any, targets: list[tuple[dict[str, str], Any]], names: Names, concurrency: int) -> None:
    """Subscribe each route's method; FastStream handles one message at a time unless told otherwise."""
    queue = names.queue("invoices")
    for routes, target in targets:
        for subject, method in routes.items():
            broker.subscriber(names.subject(subject), queue=queue, max_workers=concurrency)(getattr(target, method))
