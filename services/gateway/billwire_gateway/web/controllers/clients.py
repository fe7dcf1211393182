"""Clients (list, search, page with their documents and balance, create, edit, delete) and products:
the pages they share are `ItemPages`; here is what differs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.calls.items import CLIENTS, PRODUCTS
from billwire_gateway.web.context import PersonDep, bus_of, decode, page
from billwire_gateway.web.controllers.item_pages import ItemPages
from billwire_gateway.web.forms import address, field_errors, given, text
from billwire_shared import subjects
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.documents import Document, ListDocuments

CLIENT_FIELDS = ("name", "email", "phone", "client_number", "vat_id", "tax_number", "currency", "language", "notes")
PRODUCT_FIELDS = ("title", "description", "unit", "tax_rate")


class ClientsController(ItemPages):
    path = "/clients"
    calls = CLIENTS

    def values(self, form: Any) -> dict[str, Any]:
        return given(form, CLIENT_FIELDS) | {"address": address(form) or {}}

    def patch_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """A field left empty clears it, except the three a client always has."""
        patch_values = {name: values.get(name) for name in CLIENT_FIELDS if name not in ("name", "currency", "language")}
        patch_values |= {name: values[name] for name in ("name", "currency", "language") if name in values}
        patch_values["address"] = values["address"]
        return patch_values

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
    calls = PRODUCTS

    def values(self, form: Any) -> dict[str, Any]:
        """The form has one price and a box for gross; the API has net_price or gross_price."""
        values = given(form, PRODUCT_FIELDS)
        price = text(form, "price")
        if price is not None:
            values["gross_price" if form.get("price_is_gross") else "net_price"] = price
        return values

    def errors(self, exc: ApiError) -> dict[str, str]:
        """The API names the price net_price or gross_price; the form has one price field."""
        errors = field_errors(exc)
        for name in ("net_price", "gross_price"):
            if name in errors:
                errors["price"] = errors.pop(name)
        return errors
