"""Clients (buyers) and products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import (
    Address,
    ById,
    Command,
    CurrencyCode,
    ExportType,
    Input,
    Language,
    Money,
    Name,
    Rate,
    Search,
    Short,
    Text,
    VatRegulation,
    line,
    patch_of,
)


class ClientInput(Input, kw_only=True):
    name: Name
    email: Short | None = None
    phone: line(50) | None = None
    client_number: line(50, 1) | None = None
    address: Address = msgspec.field(default_factory=Address)
    vat_id: line(20) | None = None
    tax_number: line(50) | None = None
    currency: CurrencyCode | None = None
    language: Language | None = None
    vat_regulation: VatRegulation | None = None
    notes: Text | None = None
    buyer_reference: Short | None = None  # e.g. the Leitweg-ID of a German public buyer (BT-10)
    export_type: ExportType | None = None  # this client's default for new invoices


class CreateClient(Command, kw_only=True):
    client: ClientInput


ClientPatch = patch_of(ClientInput, "ClientPatch", __name__)


class UpdateClient(ById, kw_only=True):
    patch: ClientPatch


class Client(ClientInput, kw_only=True, forbid_unknown_fields=False):
    id: UUID
    created_at: datetime
    updated_at: datetime


class ListClients(Search, kw_only=True):
    """A page of the account's clients; `q` searches their names, e-mail addresses and numbers."""


class ProductInput(Input, kw_only=True):
    title: Name
    description: Text | None = None
    unit: line(30) | None = None
    net_price: Money | None = None
    gross_price: Money | None = None
    tax_rate: Rate | None = None


class CreateProduct(Command, kw_only=True):
    product: ProductInput


ProductPatch = patch_of(ProductInput, "ProductPatch", __name__, not_null=("net_price", "gross_price", "tax_rate"))


class UpdateProduct(ById, kw_only=True):
    patch: ProductPatch


class Product(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    description: str | None
    unit: str | None
    net_price: Decimal  # derived from gross_price (up to 8 places) when that was given
    tax_rate: Decimal
    created_at: datetime
    updated_at: datetime
    gross_price: Decimal | None = None  # the gross price as given; lines of the product take it


class ListProducts(Search, kw_only=True):
    """A page of the account's products; `q` searches their titles and descriptions."""


class ClientSnapshot(msgspec.Struct, kw_only=True):
    """The buyer as it was when the document was written; later client edits never change it."""

    name: str
    email: str | None = None
    client_number: str | None = None
    address: Address = msgspec.field(default_factory=Address)
    vat_id: str | None = None
    tax_number: str | None = None
    buyer_reference: str | None = None
