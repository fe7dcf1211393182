"""Documents (invoices, estimates, credit notes, ...) and their lines and totals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from billwire_shared.contracts.accounts import Seller
from billwire_shared.contracts.clients import ClientInput, ClientSnapshot
from billwire_shared.contracts.common import (
    ById,
    Command,
    CurrencyCode,
    DueDays,
    ExportType,
    Input,
    Language,
    Money,
    Paged,
    Period,
    PriceLayout,
    Quantity,
    Rate,
    Text,
    VatRegulation,
    line,
)

DocumentType = Literal["invoice", "estimate", "credit_note", "delivery_note", "order_confirmation", "purchase_order"]
DOCUMENT_TYPES: tuple[str, ...] = get_args(DocumentType)
DocumentStatus = Literal["draft", "open", "paid", "cancelled"]
# What lists filter on: the stored status, or a state derived from dates and payments.
DocumentState = Literal["draft", "open", "paid", "cancelled", "sent", "partially_paid", "overdue", "unpaid", "refund_due"]
DocumentSort = Literal["date", "-date", "created_at", "-created_at", "number", "-number"]
DocumentNumber = line(60, 1, "a number from another system, kept as given (imported documents only)")
# The fields of an issued document that may still change (BillMore's status tiers): how it was
# sent, by hand, and the account's own status. A cancelled document keeps only the latter.
ISSUED_PATCH_FIELDS: tuple[str, ...] = ("sent", "sent_date", "sent_notes", "custom_status")
CANCELLED_PATCH_FIELDS: tuple[str, ...] = ("custom_status",)


class CustomStatus(Input, kw_only=True):
    """A status of the account's own (e.g. "disputed", "with the lawyer"), beside the computed ones."""

    name: line(100, 1)
    date: date | None = None
    notes: Text | None = None


class LineInput(Input, kw_only=True):
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    quantity: Quantity = Decimal("1")
    unit: line(30) | None = None
    unit_price: Money | None = None  # net; give this or gross_unit_price, never both
    gross_unit_price: Money | None = None
    tax_rate: Rate | None = None
    discount_rate: Rate | None = None
    product_id: UUID | None = None


DocumentLines = Annotated[list[LineInput], msgspec.Meta(max_length=500)]


class DocumentTerms(Input, kw_only=True):
    """What a document states besides its buyer, dates and lines: currency, texts, discount, VAT
    treatment, language and payment terms. A recurring invoice's template states them too, for
    every document it issues."""

    currency: CurrencyCode | None = None
    due_days: DueDays | None = None
    introduction: Text | None = None
    notes: Text | None = None
    discount_rate: Rate | None = None
    vat_regulation: VatRegulation | None = None
    language: Language | None = None
    export_type: ExportType | None = None  # default: the client's, else the profile's
    tax_exemption_reason: Text | None = None  # why 0 % lines are exempt (e-invoices: category E)


class DocumentInput(DocumentTerms, kw_only=True):
    type: DocumentType = "invoice"
    client_id: UUID | None = None
    client: ClientInput | None = None
    lines: DocumentLines = []
    issue_date: date | None = None
    service_date: date | None = None
    service_period: Period | None = None
    due_date: date | None = None
    price_layout: PriceLayout | None = None  # default: the profile's
    show_prices: bool | None = None  # default: a delivery note shows none, every other type does
    # History from another tool: its own number (unique per type in the account, never taken from
    # or advancing the number series) and issue date; finalized as imported.
    imported: bool = False
    number: DocumentNumber | None = None
    custom_status: CustomStatus | None = None


class DocumentPatch(Input, kw_only=True):
    client_id: UUID | UnsetType = UNSET
    client: ClientInput | UnsetType = UNSET
    lines: DocumentLines | UnsetType = UNSET
    currency: CurrencyCode | UnsetType = UNSET
    issue_date: date | None | UnsetType = UNSET
    service_date: date | None | UnsetType = UNSET
    service_period: Period | None | UnsetType = UNSET
    due_date: date | None | UnsetType = UNSET
    due_days: DueDays | UnsetType = UNSET
    introduction: Text | None | UnsetType = UNSET
    notes: Text | None | UnsetType = UNSET
    discount_rate: Rate | None | UnsetType = UNSET
    vat_regulation: VatRegulation | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    export_type: ExportType | UnsetType = UNSET
    tax_exemption_reason: Text | None | UnsetType = UNSET
    price_layout: PriceLayout | UnsetType = UNSET
    show_prices: bool | UnsetType = UNSET
    imported: bool | UnsetType = UNSET  # drafts only
    number: DocumentNumber | None | UnsetType = UNSET  # imported drafts only
    # What an issued document may still change (ISSUED_PATCH_FIELDS); a cancelled one only custom_status.
    sent: bool | UnsetType = UNSET  # true: marked as sent by hand (e.g. posted); false: that mark taken back
    sent_date: date | UnsetType = UNSET  # when it was sent by hand; today when left out
    sent_notes: Text | None | UnsetType = UNSET
    custom_status: CustomStatus | None | UnsetType = UNSET  # null clears it


class Line(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A document line; the gross fields appear only where they apply (a gross price given, the
    gross layout), so a net line reads as it always has."""

    position: int
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal  # net, up to 8 places when derived from a gross price
    tax_rate: Decimal  # the rate that applies (0 under reverse charge and the other zero-rated regulations)
    discount_rate: Decimal | None
    product_id: UUID | None
    net_amount: Decimal
    price_basis: PriceLayout = "net"  # which price the line was given: the net unit_price or a gross one
    gross_unit_price: Decimal | None = None  # the gross price given; in the gross layout, every line's
    gross_amount: Decimal | None = None  # in the gross layout: quantity × gross price, less the discount


class TaxAmount(msgspec.Struct, kw_only=True):
    rate: Decimal
    net: Decimal
    tax: Decimal


class Totals(msgspec.Struct, kw_only=True):
    lines_net: Decimal
    discount: Decimal
    net: Decimal
    taxes: list[TaxAmount]
    tax: Decimal
    gross: Decimal


class DocumentRef(msgspec.Struct, kw_only=True):
    """Another document this one refers to, e.g. the invoice a credit note cancels."""

    id: UUID
    type: DocumentType
    number: str | None
    issue_date: date | None


class Document(msgspec.Struct, kw_only=True):
    id: UUID
    type: DocumentType
    status: DocumentStatus
    number: str | None
    client_id: UUID | None
    client: ClientSnapshot
    currency: str
    issue_date: date | None
    service_date: date | None
    service_period: Period | None
    due_date: date | None
    due_days: int | None
    introduction: str | None
    notes: str | None
    discount_rate: Decimal | None
    vat_regulation: VatRegulation
    lines: list[Line]
    totals: Totals
    language: Language = "en"
    seller: Seller | None = None  # frozen at finalize; drafts render with the current profile
    preceding: DocumentRef | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    finalized_at: datetime | None = None
    sent_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    amount_paid: Decimal = Decimal("0")
    balance_due: Decimal | None = None  # gross less payments, once issued
    overdue_at: datetime | None = None
    reminder_level: int = 0  # the highest payment reminder level queued for this invoice
    last_reminder_at: datetime | None = None  # when the relay last accepted a payment reminder of it
    cancellation_reason: str | None = None
    export_type: ExportType = "pdf"
    tax_exemption_reason: str | None = None
    price_layout: PriceLayout = "net"
    show_prices: bool = True
    sent_date: date | None = None  # the day it was sent: delivered by e-mail, or given when marked sent by hand
    sent_notes: str | None = None
    sent_via: Literal["email", "manual"] | None = None
    paid_date: date | None = None  # the date of the payment that settled it (paid_at is that day)
    custom_status: CustomStatus | None = None
    imported: bool = False  # issued in another system: its number and date are that system's
    # A cancelled invoice that had payments: what is still to be paid back (refunds reduce it).
    refund_due: Decimal | None = None
    amount_refunded: Decimal = Decimal("0")
    refund_amount: Decimal | None = None  # a credit note cancelling an invoice with payments: what is paid back
    cancelled_by: DocumentRef | None = None  # the credit note that cancelled this invoice
    converted_to: DocumentRef | None = None  # an estimate: the invoice it was converted into
    recurring_id: UUID | None = None  # the recurring invoice that generated this document
    period: Period | None = None  # the recurring period it bills (also its service period)
    # Which VAT rate the lines got and why (given, product, account default, regulation), and a
    # warning when the domestic default went to a client in another country (documents/vat.py).
    vat_note: str | None = None
    # Every `status` a list filters on that this document matches, e.g. ["open", "sent",
    # "partially_paid", "overdue"]: derived from the fields above on every construction, decode
    # and replace (msgspec runs __post_init__), so it is never stale and never set by hand.
    states: list[DocumentState] = []

    def __post_init__(self) -> None:
        self.states = derived_states(self)


def derived_states(doc: Document) -> list[DocumentState]:
    """The stored status, then the states of an open document derived from its dates and
    payments; the same rules as the list filters (invoices repository `_STATES`). Overdue is
    computed as of now (UTC) from the due date, not only once the scheduler has marked it."""
    states: list[DocumentState] = [doc.status]
    if doc.status == "open":
        if doc.sent_at is not None:
            states.append("sent")
        states.append("partially_paid" if doc.amount_paid > 0 else "unpaid")
        if doc.overdue_at is not None or (doc.type == "invoice" and doc.due_date is not None and doc.due_date < datetime.now(UTC).date()):
            states.append("overdue")
    elif doc.status == "cancelled" and doc.refund_due:
        states.append("refund_due")
    return states


class CreateDocument(Command, kw_only=True):
    document: DocumentInput


class PreviewDocument(Command, kw_only=True):
    """The draft a create of `document` would store, computed by the same rules and stored nowhere:
    the web editor's lines and totals as a person types. Without a client it is priced for none."""

    document: DocumentInput


class DocumentById(ById, kw_only=True):
    """A document by id; with `type` set (as the /invoices routes do), one of another type is not found."""

    type: DocumentType | None = None


class UpdateDocument(DocumentById, kw_only=True):
    patch: DocumentPatch


class ListDocuments(Paged, kw_only=True):
    type: DocumentType | None = None
    status: DocumentState | None = None
    client_id: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    paid: bool | None = None
    sent: bool | None = None
    finalized: bool | None = None
    cancelled: bool | None = None
    updated_since: datetime | None = None
    q: Annotated[str, msgspec.Meta(max_length=100)] | None = None  # part of the number or the client's name
    sort: DocumentSort = "-created_at"
    # A page's `next_cursor`: the next page starts after it, however many documents came or went before.
    cursor: Annotated[str, msgspec.Meta(max_length=200)] | None = None
