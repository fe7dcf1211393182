"""Clients and products: the account's address book and price list."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.params import FromQuery, JSONBody

from billwire_gateway.controllers.items import change_one, delete_one, read_one
from billwire_gateway.deps import BusDep, CallerDep, Limit, Offset, json_reply
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
from billwire_shared.contracts.common import Page


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

    get_client = read_one("client_id", subjects.CLIENT_GET, Client, name="get_client", summary="Get a client")
    update_client = change_one(
        "client_id", subjects.CLIENT_UPDATE, lambda caller, client_id, data: UpdateClient(ctx=caller, id=client_id, patch=data),
        ClientPatch, Client, name="update_client", summary="Change a client; documents keep their snapshot",
    )
    delete_client = delete_one(
        "client_id", subjects.CLIENT_DELETE, name="delete_client", summary="Delete a client; its documents keep their snapshot"
    )


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

    get_product = read_one("product_id", subjects.PRODUCT_GET, Product, name="get_product", summary="Get a product")
    update_product = change_one(
        "product_id", subjects.PRODUCT_UPDATE, lambda caller, product_id, data: UpdateProduct(ctx=caller, id=product_id, patch=data),
        ProductPatch, Product, name="update_product", summary="Change a product",
    )
    delete_product = delete_one("product_id", subjects.PRODUCT_DELETE, name="delete_product", summary="Delete a product")
