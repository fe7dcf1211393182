"""Clients (list, search, page with their documents and balance, create, edit, delete) and products:
the pages they share are `ItemPages`; here is what differs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, page
from billwire_gateway.web.controllers.item_pages import ItemPages
from billwire_gateway.web.forms import address, convert, field_errors, given, text
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
from billwire_shared.contracts.common import Caller, Page
from billwire_shared.contracts.documents import Document, ListDocuments

CLIENT_FIELDS = ("name", "email", "phone", "client_number", "vat_id", "tax_number", "currency", "language", "notes")
PRODUCT_FIELDS = ("title", "description", "unit", "tax_rate")


class ClientsController(ItemPages):
    path = "/clients"
    kind, item, list_subject, list_query = "client", Client, subjects.CLIENT_LIST, ListClients
    create_subject, get_subject = subjects.CLIENT_CREATE, subjects.CLIENT_GET
    update_subject, delete_subject = subjects.CLIENT_UPDATE, subjects.CLIENT_DELETE

    def values(self, form: Any) -> dict[str, Any]:
        return given(form, CLIENT_FIELDS) | {"address": address(form) or {}}

    def create_command(self, caller: Caller, values: dict[str, Any]) -> CreateClient:
        return CreateClient(ctx=caller, client=convert(values, ClientInput))

    def update_command(self, caller: Caller, item_id: UUID, values: dict[str, Any]) -> UpdateClient:
        """A field left empty clears it, except the three a client always has."""
        patch_values = {name: values.get(name) for name in CLIENT_FIELDS if name not in ("name", "currency", "language")}
        patch_values |= {name: values[name] for name in ("name", "currency", "language") if name in values}
        patch_values["address"] = values["address"]
        return UpdateClient(ctx=caller, id=item_id, patch=convert(patch_values, ClientPatch))

    def saved(self, item_id: UUID) -> str:
        return f"/clients/{item_id}"

    @get("/{item_id:uuid}")
    async def show(self, request: Request, person: PersonDep, item_id: FromPath[UUID]) -> Response:
        client = await self._get(request, person, item_id)
        query = ListDocuments(ctx=person.caller, client_id=item_id, limit=50)
        documents = decode(await bus_of(request).call(subjects.DOCUMENT_LIST, query), Page[Document])
        balances: dict[str, Decimal] = {}
        for document in documents.items:
            if document.type == "invoice" and document.status == "open" and document.balance_due:
                balances[document.currency] = balances.get(document.currency, Decimal(0)) + document.balance_due
        return page(request, "client.html", person, client=client, documents=documents, balances=balances)


class ProductsController(ItemPages):
    path = "/products"
    kind, item, list_subject, list_query = "product", Product, subjects.PRODUCT_LIST, ListProducts
    create_subject, get_subject = subjects.PRODUCT_CREATE, subjects.PRODUCT_GET
    update_subject, delete_subject = subjects.PRODUCT_UPDATE, subjects.PRODUCT_DELETE

    def values(self, form: Any) -> dict[str, Any]:
        """The form has one price and a box for gross; the API has net_price or gross_price."""
        values = given(form, PRODUCT_FIELDS)
        price = text(form, "price")
        if price is not None:
            values["gross_price" if form.get("price_is_gross") else "net_price"] = price
        return values

    def create_command(self, caller: Caller, values: dict[str, Any]) -> CreateProduct:
        return CreateProduct(ctx=caller, product=convert(values, ProductInput))

    def update_command(self, caller: Caller, item_id: UUID, values: dict[str, Any]) -> UpdateProduct:
        return UpdateProduct(ctx=caller, id=item_id, patch=convert(values, ProductPatch))

    def errors(self, exc: ApiError) -> dict[str, str]:
        """The API names the price net_price or gross_price; the form has one price field."""
        errors = field_errors(exc)
        for name in ("net_price", "gross_price"):
            if name in errors:
                errors["price"] = errors.pop(name)
        return errors
