"""Clients and products: kinds of item the account keeps, each created, listed (searched by `q`),
read, changed and deleted the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

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
from billwire_shared.contracts.common import ById, Caller


@dataclass(frozen=True)
class ItemCalls:
    """One kind of item: its subjects are `<NOUN>_CREATE` ... `<NOUN>_DELETE`, every call but a
    delete answers `item`, a create takes `body` and a change `patch`."""

    noun: str  # "client": the subjects CLIENT_*, the id `client_id`
    item: type[msgspec.Struct]
    body: type[msgspec.Struct]
    patch: type[msgspec.Struct]
    list_query: Callable[..., msgspec.Struct]  # a Search: ctx, q, limit, offset
    make: Callable[[Caller, Any], msgspec.Struct]  # the create command of a body
    change: Callable[[Caller, UUID, Any], msgspec.Struct]  # the update command of an id and a patch

    def subject(self, verb: str) -> str:
        """`subject("create")` is subjects.CLIENT_CREATE for clients."""
        return getattr(subjects, f"{self.noun.upper()}_{verb.upper()}")

    def search(self, caller: Caller, q: str | None, limit: int, offset: int) -> msgspec.Struct:
        return self.list_query(ctx=caller, q=q, limit=limit, offset=offset)

    @staticmethod
    def by_id(caller: Caller, item_id: UUID) -> ById:
        """What a read and a delete send."""
        return ById(ctx=caller, id=item_id)


CLIENTS = ItemCalls(
    "client", Client, ClientInput, ClientPatch, ListClients,
    lambda caller, client: CreateClient(ctx=caller, client=client),
    lambda caller, client_id, patch: UpdateClient(ctx=caller, id=client_id, patch=patch),
)
PRODUCTS = ItemCalls(
    "product", Product, ProductInput, ProductPatch, ListProducts,
    lambda caller, product: CreateProduct(ctx=caller, product=product),
    lambda caller, product_id, patch: UpdateProduct(ctx=caller, id=product_id, patch=patch),
)
