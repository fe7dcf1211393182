from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import Parameter

from billwire_gateway.bus import Bus
from billwire_gateway.deps import json_reply
from billwire_shared import subjects as s
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
from billwire_shared.contracts.common import ById, Caller, Page

Limit = Parameter(ge=1, le=100, default=50)
Offset = Parameter(ge=0, default=0)


class ClientController(Controller):
    path = "/clients"
    tags = ["clients"]

    @post(summary="Create a client")
    async def create_client(self, data: ClientInput, caller: Caller, bus: Bus) -> Response[Client]:
        return json_reply(await bus.call(s.CLIENT_CREATE, CreateClient(ctx=caller, client=data)), 201)

    @get(summary="List clients; q searches name, email and client number")
    async def list_clients(
        self, caller: Caller, bus: Bus, q: str | None = None, limit: int = Limit, offset: int = Offset
    ) -> Response[Page[Client]]:
        return json_reply(await bus.call(s.CLIENT_LIST, ListClients(ctx=caller, q=q, limit=limit, offset=offset)))

    @get("/{client_id:uuid}", summary="Get a client")
    async def get_client(self, client_id: UUID, caller: Caller, bus: Bus) -> Response[Client]:
        return json_reply(await bus.call(s.CLIENT_GET, ById(ctx=caller, id=client_id)))

    @patch("/{client_id:uuid}", summary="Change a client; documents keep their snapshot")
    async def update_client(self, client_id: UUID, data: ClientPatch, caller: Caller, bus: Bus) -> Response[Client]:
        return json_reply(await bus.call(s.CLIENT_UPDATE, UpdateClient(ctx=caller, id=client_id, patch=data)))

    @delete("/{client_id:uuid}", summary="Delete a client; its documents keep their snapshot")
    async def delete_client(self, client_id: UUID, caller: Caller, bus: Bus) -> None:
        await bus.call(s.CLIENT_DELETE, ById(ctx=caller, id=client_id))


class ProductController(Controller):
    path = "/products"
    tags = ["products"]

    @post(summary="Create a product from a net price, or a gross price and VAT rate")
    async def create_product(self, data: ProductInput, caller: Caller, bus: Bus) -> Response[Product]:
        return json_reply(await bus.call(s.PRODUCT_CREATE, CreateProduct(ctx=caller, product=data)), 201)

    @get(summary="List products; q searches title and description")
    async def list_products(
        self, caller: Caller, bus: Bus, q: str | None = None, limit: int = Limit, offset: int = Offset
    ) -> Response[Page[Product]]:
        return json_reply(await bus.call(s.PRODUCT_LIST, ListProducts(ctx=caller, q=q, limit=limit, offset=offset)))

    @get("/{product_id:uuid}", summary="Get a product")
    async def get_product(self, product_id: UUID, caller: Caller, bus: Bus) -> Response[Product]:
        return json_reply(await bus.call(s.PRODUCT_GET, ById(ctx=caller, id=product_id)))

    @patch("/{product_id:uuid}", summary="Change a product")
    async def update_product(self, product_id: UUID, data: ProductPatch, caller: Caller, bus: Bus) -> Response[Product]:
        return json_reply(await bus.call(s.PRODUCT_UPDATE, UpdateProduct(ctx=caller, id=product_id, patch=data)))

    @delete("/{product_id:uuid}", summary="Delete a product")
    async def delete_product(self, product_id: UUID, caller: Caller, bus: Bus) -> None:
        await bus.call(s.PRODUCT_DELETE, ById(ctx=caller, id=product_id))
