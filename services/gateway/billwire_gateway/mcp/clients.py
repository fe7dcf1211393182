"""MCP tools of clients and products (REST: controllers/clients.py)."""

from __future__ import annotations

from uuid import UUID

from mcp.server.mcpserver import Context

from billwire_gateway.mcp.arguments import Arguments, Confirm, IdempotencyKey, Paging
from billwire_gateway.mcp.toolbox import IRREVERSIBLE, READ, UPDATE, WRITE, Toolbox
from billwire_shared import subjects
from billwire_shared.contracts.clients import (
    Client,
    ClientInput,
    ClientPatch,
    CreateClient,
    CreateProduct,
    ListClients,
    ListProducts,
    Product,
    ProductInput,
    ProductPatch,
    UpdateClient,
    UpdateProduct,
)
from billwire_shared.contracts.common import ById, Deleted, Page


class Search(Paging, kw_only=True):
    query: str | None = None


class ClientId(Arguments, kw_only=True):
    client_id: UUID


class NewClient(Arguments, kw_only=True):
    client: ClientInput
    idempotency_key: IdempotencyKey | None = None


class ClientChanges(ClientId, kw_only=True):
    changes: ClientPatch
    idempotency_key: IdempotencyKey | None = None


class DeleteClient(ClientId, kw_only=True):
    confirm: Confirm = False


class ProductId(Arguments, kw_only=True):
    product_id: UUID


class NewProduct(Arguments, kw_only=True):
    product: ProductInput
    idempotency_key: IdempotencyKey | None = None


class ProductChanges(ProductId, kw_only=True):
    changes: ProductPatch
    idempotency_key: IdempotencyKey | None = None


class DeleteProduct(ProductId, kw_only=True):
    confirm: Confirm = False


def register(tools: Toolbox) -> None:
    @tools.tool(READ, Search, Page[Client])
    async def list_clients(ctx: Context, args: Search) -> Page[Client]:
        """List the account's clients; `query` searches name, e-mail and client number."""
        command = lambda k: ListClients(ctx=k, q=args.query, limit=args.limit, offset=args.offset)  # noqa: E731
        return await tools.call(ctx, subjects.CLIENT_LIST, command, Page[Client])

    @tools.tool(READ, ClientId, Client)
    async def get_client(ctx: Context, args: ClientId) -> Client:
        """One client by id."""
        return await tools.call(ctx, subjects.CLIENT_GET, lambda k: ById(ctx=k, id=args.client_id), Client)

    @tools.tool(WRITE, NewClient, Client)
    async def create_client(ctx: Context, args: NewClient) -> Client:
        """Create a client: name (required), email, client_number, address {street, zip, city, country (ISO 2)}, vat_id..."""
        command = lambda k: CreateClient(ctx=k, client=args.client)  # noqa: E731
        return await tools.call(ctx, subjects.CLIENT_CREATE, command, Client, key=args.idempotency_key, scope="write")

    @tools.tool(UPDATE, ClientChanges, Client)
    async def update_client(ctx: Context, args: ClientChanges) -> Client:
        """Change some of a client's fields; documents already written keep the old details."""
        command = lambda k: UpdateClient(ctx=k, id=args.client_id, patch=args.changes)  # noqa: E731
        return await tools.call(ctx, subjects.CLIENT_UPDATE, command, Client, key=args.idempotency_key, scope="write")

    @tools.tool(IRREVERSIBLE, DeleteClient, Client, Deleted)
    async def delete_client(ctx: Context, args: DeleteClient) -> Client | Deleted:
        """Delete a client (documents already written keep their copy of its details). Without
        confirm=true this only shows the client that would be deleted."""
        if not args.confirm:
            return await tools.call(ctx, subjects.CLIENT_GET, lambda k: ById(ctx=k, id=args.client_id), Client, scope="write")
        return await tools.call(ctx, subjects.CLIENT_DELETE, lambda k: ById(ctx=k, id=args.client_id), Deleted, scope="write")

    @tools.tool(READ, Search, Page[Product])
    async def list_products(ctx: Context, args: Search) -> Page[Product]:
        """List products (title, unit, net price, VAT rate); `query` searches title and description."""
        command = lambda k: ListProducts(ctx=k, q=args.query, limit=args.limit, offset=args.offset)  # noqa: E731
        return await tools.call(ctx, subjects.PRODUCT_LIST, command, Page[Product])

    @tools.tool(WRITE, NewProduct, Product)
    async def create_product(ctx: Context, args: NewProduct) -> Product:
        """Create a product: title, unit, and net_price or gross_price, tax_rate."""
        command = lambda k: CreateProduct(ctx=k, product=args.product)  # noqa: E731
        return await tools.call(ctx, subjects.PRODUCT_CREATE, command, Product, key=args.idempotency_key, scope="write")

    @tools.tool(UPDATE, ProductChanges, Product)
    async def update_product(ctx: Context, args: ProductChanges) -> Product:
        """Change some of a product's fields; lines already written keep their prices."""
        command = lambda k: UpdateProduct(ctx=k, id=args.product_id, patch=args.changes)  # noqa: E731
        return await tools.call(ctx, subjects.PRODUCT_UPDATE, command, Product, key=args.idempotency_key, scope="write")

    @tools.tool(IRREVERSIBLE, DeleteProduct, Product, Deleted)
    async def delete_product(ctx: Context, args: DeleteProduct) -> Product | Deleted:
        """Delete a product (lines already written keep their copy). Without confirm=true this
        only shows the product that would be deleted."""
        if not args.confirm:
            return await tools.call(ctx, subjects.PRODUCT_GET, lambda k: ById(ctx=k, id=args.product_id), Product, scope="write")
        return await tools.call(ctx, subjects.PRODUCT_DELETE, lambda k: ById(ctx=k, id=args.product_id), Deleted, scope="write")
