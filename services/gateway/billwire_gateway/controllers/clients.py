"""Clients and products: the account's address book and price list."""

from __future__ import annotations

from billwire_gateway.calls.items import CLIENTS, PRODUCTS
from billwire_gateway.controllers.items import item_controller

ClientController = item_controller(
    "ClientController", CLIENTS, "/clients", create="Create a client", list="List clients; q searches name, email and client number",
    get="Get a client", update="Change a client; documents keep their snapshot", delete="Delete a client; its documents keep their snapshot",
)
ProductController = item_controller(
    "ProductController", PRODUCTS, "/products", create="Create a product from a net price, or a gross price and VAT rate",
    list="List products; q searches title and description", get="Get a product", update="Change a product", delete="Delete a product",
)
