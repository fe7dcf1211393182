"""Clients and products: the account's address book and price list."""

from __future__ import annotations

from litestar import Controller

from billwire_gateway.controllers.items import change_one, create_one, delete_one, read_one, search
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


class ClientController(Controller):
    path = "/clients"
    tags = ["clients"]

    create_client = create_one(
        None, subjects.CLIENT_CREATE, lambda caller, data: CreateClient(ctx=caller, client=data), ClientInput, Client,
        name="create_client", summary="Create a client",
    )
    list_clients = search(
        subjects.CLIENT_LIST, ListClients, Client, name="list_clients", summary="List clients; q searches name, email and client number"
    )
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

    create_product = create_one(
        None, subjects.PRODUCT_CREATE, lambda caller, data: CreateProduct(ctx=caller, product=data), ProductInput, Product,
        name="create_product", summary="Create a product from a net price, or a gross price and VAT rate",
    )
    list_products = search(subjects.PRODUCT_LIST, ListProducts, Product, name="list_products", summary="List products; q searches title and description")
    get_product = read_one("product_id", subjects.PRODUCT_GET, Product, name="get_product", summary="Get a product")
    update_product = change_one(
        "product_id", subjects.PRODUCT_UPDATE, lambda caller, product_id, data: UpdateProduct(ctx=caller, id=product_id, patch=data),
        ProductPatch, Product, name="update_product", summary="Change a product",
    )
    delete_product = delete_one("product_id", subjects.PRODUCT_DELETE, name="delete_product", summary="Delete a product")
