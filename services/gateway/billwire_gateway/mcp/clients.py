"""MCP tools of clients and products (REST: controllers/clients.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mcp.server.mcpserver import Context

from billwire_gateway.mcp.toolbox import READ, UPDATE, WRITE, Result, Toolbox, decode
from billwire_shared import subjects
from billwire_shared.contracts.clients import (
    ClientInput,
    ClientPatch,
    CreateClient,
    CreateProduct,
    ListClients,
    ListProducts,
    ProductInput,
    UpdateClient,
)
from billwire_shared.contracts.common import ById


def register(tools: Toolbox) -> None:
    @tools.tool(READ)
    async def list_clients(ctx: Context, query: str | None = None, limit: int = 20, offset: int = 0) -> Result:
        """List the account's clients; `query` searches name, e-mail and client number."""
        return await tools.result(ctx, subjects.CLIENT_LIST, lambda k: ListClients(ctx=k, q=query, limit=limit, offset=offset))

    @tools.tool(READ)
    async def get_client(ctx: Context, client_id: UUID) -> Result:
        """One client by id."""
        return await tools.result(ctx, subjects.CLIENT_GET, lambda k: ById(ctx=k, id=client_id))

    @tools.tool(WRITE)
    async def create_client(ctx: Context, client: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Create a client: name (required), email, client_number, address {street, zip, city, country (ISO 2)}, vat_id..."""
        body = decode(client, ClientInput, "client")
        return await tools.result(
            ctx, subjects.CLIENT_CREATE, lambda k: CreateClient(ctx=k, client=body), key=idempotency_key, scope="write",
        )

    @tools.tool(UPDATE)
    async def update_client(ctx: Context, client_id: UUID, changes: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Change some of a client's fields; documents already written keep the old details."""
        patch = decode(changes, ClientPatch, "changes")
        return await tools.result(
            ctx, subjects.CLIENT_UPDATE, lambda k: UpdateClient(ctx=k, id=client_id, patch=patch), key=idempotency_key, scope="write",
        )

    @tools.tool(READ)
    async def list_products(ctx: Context, query: str | None = None, limit: int = 20) -> Result:
        """List products (title, unit, net price, VAT rate); `query` searches title and description."""
        return await tools.result(ctx, subjects.PRODUCT_LIST, lambda k: ListProducts(ctx=k, q=query, limit=limit))

    @tools.tool(WRITE)
    async def create_product(ctx: Context, product: dict[str, Any], idempotency_key: str | None = None) -> Result:
        """Create a product: title, unit, and net_price or gross_price (as decimal strings), tax_rate."""
        body = decode(product, ProductInput, "product")
        return await tools.result(
            ctx, subjects.PRODUCT_CREATE, lambda k: CreateProduct(ctx=k, product=body), key=idempotency_key, scope="write",
        )
