"""Clients (list, search, page with their documents and balance, create, edit, delete) and products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
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
from billwire_shared.contracts.common import ById, Page
from billwire_shared.contracts.documents import Document, ListDocuments

CLIENT_FIELDS = ("name", "email", "phone", "client_number", "vat_id", "tax_number", "currency", "language", "notes")
PRODUCT_FIELDS = ("title", "description", "unit", "tax_rate")


def _client_values(form: Any) -> dict[str, Any]:
    values = given(form, CLIENT_FIELDS)
    values["address"] = address(form) or {}
    return values


class ClientsController(Controller):
    path = "/clients"

    @get("/")
    async def list_clients(self, request: Request, person: PersonDep) -> Response:
        q = (request.query_params.get("q") or "").strip()[:100] or None
        clients = decode(await bus_of(request).call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, q=q, limit=100)), Page[Client])
        return page(request, "clients.html", person, clients=clients, q=q or "")

    @get("/new")
    async def new_form(self, request: Request, person: PersonDep) -> Response:
        return page(request, "client_form.html", person, client=None, values={}, errors={})

    @post("/new")
    async def create(self, request: Request, person: PersonDep) -> Response:
        values = _client_values(await request.form())
        try:
            raw = await bus_of(request).call(subjects.CLIENT_CREATE, CreateClient(ctx=person.caller, client=convert(values, ClientInput)))
        except ApiError as exc:
            return page(request, "client_form.html", person, 422, client=None, values=values, errors=field_errors(exc))
        return redirect(f"/clients/{decode(raw, Client).id}", "Saved.", person)

    @get("/{client_id:uuid}")
    async def show(self, request: Request, person: PersonDep, client_id: FromPath[UUID]) -> Response:
        bus = bus_of(request)
        client = decode(await bus.call(subjects.CLIENT_GET, ById(ctx=person.caller, id=client_id)), Client)
        documents = decode(await bus.call(subjects.DOCUMENT_LIST, ListDocuments(ctx=person.caller, client_id=client_id, limit=50)), Page[Document])
        balances: dict[str, Decimal] = {}
        for document in documents.items:
            if document.type == "invoice" and document.status == "open" and document.balance_due:
                balances[document.currency] = balances.get(document.currency, Decimal(0)) + document.balance_due
        return page(request, "client.html", person, client=client, documents=documents, balances=balances)

    @get("/{client_id:uuid}/edit")
    async def edit_form(self, request: Request, person: PersonDep, client_id: FromPath[UUID]) -> Response:
        client = decode(await bus_of(request).call(subjects.CLIENT_GET, ById(ctx=person.caller, id=client_id)), Client)
        return page(request, "client_form.html", person, client=client, values=None, errors={})

    @post("/{client_id:uuid}/edit")
    async def update(self, request: Request, person: PersonDep, client_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = _client_values(form)
        patch_values = {name: values.get(name) for name in CLIENT_FIELDS if name not in ("name", "currency", "language")}
        patch_values |= {name: values[name] for name in ("name", "currency", "language") if name in values}
        patch_values["address"] = values["address"]
        bus = bus_of(request)
        try:
            await bus.call(subjects.CLIENT_UPDATE, UpdateClient(ctx=person.caller, id=client_id, patch=convert(patch_values, ClientPatch)))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            client = decode(await bus.call(subjects.CLIENT_GET, ById(ctx=person.caller, id=client_id)), Client)
            return page(request, "client_form.html", person, 422, client=client, values=values, errors=field_errors(exc))
        return redirect(f"/clients/{client_id}", "Saved.", person)

    @post("/{client_id:uuid}/delete")
    async def delete(self, request: Request, person: PersonDep, client_id: FromPath[UUID]) -> Response:
        await bus_of(request).call(subjects.CLIENT_DELETE, ById(ctx=person.caller, id=client_id))
        return redirect("/clients", "Done.", person)


def _product_errors(exc: ApiError) -> dict[str, str]:
    """The API names the price net_price or gross_price; the form has one price field."""
    errors = field_errors(exc)
    for name in ("net_price", "gross_price"):
        if name in errors:
            errors["price"] = errors.pop(name)
    return errors


def _product_values(form: Any) -> dict[str, Any]:
    values = given(form, PRODUCT_FIELDS)
    price = text(form, "price")
    if price is not None:
        values["gross_price" if form.get("price_is_gross") else "net_price"] = price
    return values


class ProductsController(Controller):
    path = "/products"

    @get("/")
    async def list_products(self, request: Request, person: PersonDep) -> Response:
        q = (request.query_params.get("q") or "").strip()[:100] or None
        products = decode(await bus_of(request).call(subjects.PRODUCT_LIST, ListProducts(ctx=person.caller, q=q, limit=100)), Page[Product])
        return page(request, "products.html", person, products=products, q=q or "")

    @get("/new")
    async def new_form(self, request: Request, person: PersonDep) -> Response:
        return page(request, "product_form.html", person, product=None, values={}, errors={})

    @post("/new")
    async def create(self, request: Request, person: PersonDep) -> Response:
        values = _product_values(await request.form())
        try:
            await bus_of(request).call(subjects.PRODUCT_CREATE, CreateProduct(ctx=person.caller, product=convert(values, ProductInput)))
        except ApiError as exc:
            return page(request, "product_form.html", person, 422, product=None, values=values, errors=_product_errors(exc))
        return redirect("/products", "Saved.", person)

    @get("/{product_id:uuid}/edit")
    async def edit_form(self, request: Request, person: PersonDep, product_id: FromPath[UUID]) -> Response:
        product = decode(await bus_of(request).call(subjects.PRODUCT_GET, ById(ctx=person.caller, id=product_id)), Product)
        return page(request, "product_form.html", person, product=product, values=None, errors={})

    @post("/{product_id:uuid}/edit")
    async def update(self, request: Request, person: PersonDep, product_id: FromPath[UUID]) -> Response:
        values = _product_values(await request.form())
        bus = bus_of(request)
        try:
            await bus.call(subjects.PRODUCT_UPDATE, UpdateProduct(ctx=person.caller, id=product_id, patch=convert(values, ProductPatch)))
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            product = decode(await bus.call(subjects.PRODUCT_GET, ById(ctx=person.caller, id=product_id)), Product)
            return page(request, "product_form.html", person, 422, product=product, values=values, errors=_product_errors(exc))
        return redirect("/products", "Saved.", person)

    @post("/{product_id:uuid}/delete")
    async def delete(self, request: Request, person: PersonDep, product_id: FromPath[UUID]) -> Response:
        await bus_of(request).call(subjects.PRODUCT_DELETE, ById(ctx=person.caller, id=product_id))
        return redirect("/products", "Done.", person)
