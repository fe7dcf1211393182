"""Accounts, API keys and the company profile."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from billwire_shared.contracts.common import (
    Address,
    Command,
    CurrencyCode,
    DueDays,
    ExportType,
    Input,
    Language,
    Name,
    PriceLayout,
    Scope,
    Short,
    Text,
    input_body,
    line,
    patch_of,
)

# The actions a key's policy may hold back for approval (contracts/approvals.py says what happens).
ApprovalAction = Literal["finalize", "send", "cancel", "mark_unpaid", "delete", "record_payment"]

DEFAULT_NUMBER_PATTERNS = {
    "invoice": "INV-{YYYY}-{SEQ:4}",
    "estimate": "EST-{YYYY}-{SEQ:4}",
    "credit_note": "CN-{YYYY}-{SEQ:4}",
    "delivery_note": "DN-{YYYY}-{SEQ:4}",
    "order_confirmation": "OC-{YYYY}-{SEQ:4}",
    "purchase_order": "PO-{YYYY}-{SEQ:4}",  # what the account orders from a supplier
}


class VerifyKey(msgspec.Struct, kw_only=True):
    key_hash: str


class KeyIdentity(msgspec.Struct, kw_only=True):
    """A valid key resolved to its account and scopes (found=False: unknown or revoked)."""

    found: bool
    account_id: UUID | None = None
    key_id: UUID | None = None
    scopes: list[str] = []
    requires_approval: list[str] = []


class ApiKeyInput(Input, kw_only=True):
    name: Name = "API key"
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)] = msgspec.field(default_factory=lambda: ["read", "write", "email:send"])
    # Actions this key may only ask for: each waits as a pending approval until a person decides.
    requires_approval: list[ApprovalAction] = []


class CreateApiKey(Command, kw_only=True):
    key: ApiKeyInput


class ApiKey(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    requires_approval: list[str] = []
    revoked_at: datetime | None = None


class NewApiKey(ApiKey, kw_only=True):
    """Returned once, on creation: the only time the secret is shown (a replay of the same
    Idempotency-Key answers with `key` empty: the secret is never stored)."""

    key: str


class ListApiKeys(Command, kw_only=True):
    pass


class BankAccount(Input, kw_only=True):
    account_holder: Short | None = None
    iban: line(42) | None = None
    bic: line(11) | None = None


class NumberSeriesSetting(Input, kw_only=True):
    pattern: line(60, 1, "tokens {YYYY} {YY} {MM} {DD} {SEQ} {SEQ:n}")
    yearly_reset: bool = True


def _series(doc_type: str):
    return msgspec.field(default_factory=lambda: NumberSeriesSetting(pattern=DEFAULT_NUMBER_PATTERNS[doc_type]))


NumberSeries = input_body(
    "NumberSeries", [(doc_type, NumberSeriesSetting, _series(doc_type)) for doc_type in DEFAULT_NUMBER_PATTERNS], __name__,
    "One gapless series per document type.",
)


NumberSeriesPatch = patch_of(NumberSeries, "NumberSeriesPatch", __name__)


class Business(msgspec.Struct, kw_only=True):
    # Who the seller is and how to pay it: the profile's first fields, and a Seller's.
    company_name: str | None = None
    address: Address = msgspec.field(default_factory=Address)
    email: str | None = None
    phone: str | None = None
    tax_number: str | None = None
    vat_id: str | None = None
    bank: BankAccount = msgspec.field(default_factory=BankAccount)


class Profile(Business, kw_only=True):
    default_currency: str = "EUR"
    default_payment_terms_days: int = 14
    default_tax_rate: Decimal = Decimal("19")
    language: Language = "en"
    number_series: NumberSeries = msgspec.field(default_factory=NumberSeries)
    legal_footer: str | None = None
    contact_name: str | None = None  # the seller's contact person (e-invoices: BT-41)
    default_export_type: ExportType = "pdf"
    default_price_layout: PriceLayout = "net"  # a new document's price_layout


class Seller(Business, kw_only=True):
    """The seller as the profile said when a document was issued; it never changes after."""

    legal_footer: str | None = None
    contact_name: str | None = None


def seller_of(profile: Profile) -> Seller:
    return Seller(**{name: getattr(profile, name) for name in Seller.__struct_fields__})


class ProfilePatch(Input, kw_only=True):
    company_name: Name | None | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    email: Short | None | UnsetType = UNSET
    phone: line(50) | None | UnsetType = UNSET
    tax_number: line(50) | None | UnsetType = UNSET
    vat_id: line(20) | None | UnsetType = UNSET
    bank: BankAccount | UnsetType = UNSET
    default_currency: CurrencyCode | UnsetType = UNSET
    default_payment_terms_days: DueDays | UnsetType = UNSET
    default_tax_rate: Decimal | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    number_series: NumberSeriesPatch | UnsetType = UNSET
    legal_footer: Text | None | UnsetType = UNSET
    contact_name: Short | None | UnsetType = UNSET
    default_export_type: ExportType | UnsetType = UNSET
    default_price_layout: PriceLayout | UnsetType = UNSET


class GetProfile(Command, kw_only=True):
    pass


class UpdateProfile(Command, kw_only=True):
    patch: ProfilePatch
