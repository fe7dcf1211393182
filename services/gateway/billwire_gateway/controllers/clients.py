from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from billwire_gateway.deps import BusDep, CallerDep, json_reply
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
from billwire_shared.contracts.common import MAX_OFFSET, ById, Page

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]


class ClientController(Controller):
    path = "/clients"
    tags = ["clients"]

    @post(summary="Create a client")
    async def create_client(self, data: JSONBody[ClientInput], caller: CallerDep, bus: BusDep) -> Response[Client]:
        return json_reply(await bus.call(subjects.CLIENT_CREATE, CreateClient(ctx=caller, client=data)), 201)

    @get(summary="List clients; q searches name, email and client number")
    async def list_clients(
        self, caller: CallerDep, bus: BusDep, q: FromQuery[str | None] = None, limit: Limit = 50, offset: Offset = 0
    ) -> Response[Page[Client]]:
        return json_reply(await bus.call(subjects.CLIENT_LIST, ListClients(ctx=caller, q=q, limit=limit, offset=offset)))

    @get("/{client_id:uuid}", summary="Get a client")
    async def get_client(self, client_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Client]:
        return json_reply(await bus.call(subjects.CLIENT_GET, ById(ctx=caller, id=client_id)))

    @patch("/{client_id:uuid}", summary="Change a client; documents keep their snapshot")
    async def update_client(self, client_id: FromPath[UUID], data: JSONBody[ClientPatch], caller: CallerDep, bus: BusDep) -> Response[Client]:
        return json_reply(await bus.call(subjects.CLIENT_UPDATE, UpdateClient(ctx=caller, id=client_id, patch=data)))

    @delete("/{client_id:uuid}", summary="Delete a client; its documents keep their snapshot")
    async def delete_client(self, client_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subjects.CLIENT_DELETE, ById(ctx=caller, id=client_id))


class ProductController(Controller):
    path = "/products"
    tags = ["products"]

    @post(summary="Create a product from a net price, or a gross price and VAT rate")
    async def create_product(self, data: JSONBody[ProductInput], caller: CallerDep, bus: BusDep) -> Response[Product]:
        return json_reply(await bus.call(subjects.PRODUCT_CREATE, CreateProduct(ctx=caller, product=data)), 201)

    @get(summary="List products; q searches title and description")
    async def list_products(
        self, caller: CallerDep, bus: BusDep, q: FromQuery[str | None] = None, limit: Limit = 50, offset: Offset = 0
    ) -> Response[Page[Product]]:
        return json_reply(await bus.call(subjects.PRODUCT_LIST, ListProducts(ctx=caller, q=q, limit=limit, offset=offset)))

    @get("/{product_id:uuid}", summary="Get a product")
    async def get_product(self, product_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Product]:
        return json_reply(await bus.call(subjects.PRODUCT_GET, ById(ctx=caller, id=product_id)))

    @patch("/{product_id:uuid}", summary="Change a product")
    async def update_product(self, product_id: FromPath[UUID], data: JSONBody[ProductPatch], caller: CallerDep, bus: BusDep) -> Response[Product]:
        return json_reply(await bus.call(subjects.PRODUCT_UPDATE, UpdateProduct(ctx=caller, id=product_id, patch=data)))

    @delete("/{product_id:uuid}", summary="Delete a product")
    async def delete_product(self, product_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subjects.PRODUCT_DELETE, ById(ctx=caller, id=product_id))
