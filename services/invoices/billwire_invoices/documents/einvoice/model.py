"""A document as EN 16931 sees it: parties, lines, VAT categories, allowances and totals.

Pure: built from a Billwire `Document` and its seller, with Billwire's own Decimal totals
(never recomputed differently), so the XML's totals are the invoice's totals to the cent.
A credit note that reverses an invoice (negative quantities) is stated with positive
amounts, as EN 16931 expects of a credit note (type code 381).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billwire_invoices.documents.einvoice.units import unit_code
from billwire_shared.contracts.accounts import Seller
from billwire_shared.contracts.documents import Document
from billwire_shared.money import ZERO, round_money

EXPORTABLE = frozenset({"invoice", "credit_note"})
REVERSE_CHARGE = ("AE", "Reverse charge", "VATEX-EU-AE")
INTRA_COMMUNITY = ("K", "Intra-community supply", "VATEX-EU-IC")
EXPORT = ("G", "Export outside the EU", "VATEX-EU-G")
TERMS = {
    "en": {"due": "Payable by {due} without deduction.", "days": "Payable within {days} days, by {due}.",
           "credit": "This credit note is settled by refund or offset; nothing is payable.",
           "none": "Payable on receipt."},
    "de": {"due": "Zahlbar bis {due} ohne Abzug.", "days": "Zahlbar innerhalb von {days} Tagen, bis {due}.",
           "credit": "Die Gutschrift wird erstattet oder verrechnet; es ist nichts zu zahlen.",
           "none": "Zahlbar sofort nach Erhalt."},
}  # fmt: skip


@dataclass(frozen=True)
class Party:
    name: str | None
    street: str | None
    line2: str | None
    city: str | None
    zip: str | None
    state: str | None
    country: str | None
    vat_id: str | None = None
    tax_number: str | None = None
    email: str | None = None
    phone: str | None = None
    contact_name: str | None = None


@dataclass(frozen=True)
class Category:
    """One row of the VAT breakdown (BG-23), with the document discount that applies to it."""

    code: str  # S, Z, E, AE, K
    rate: Decimal
    lines_net: Decimal  # sum of this category's line nets
    allowance: Decimal  # the document-level discount on it (BG-20)
    basis: Decimal  # BT-116: lines_net - allowance
    tax: Decimal  # BT-117
    reason: str | None = None  # BT-120
    reason_code: str | None = None  # BT-121


@dataclass(frozen=True)
class LineView:
    id: str
    name: str
    quantity: Decimal
    unit: str
    price: Decimal  # BT-146, net of nothing: the line discount is an allowance
    gross: Decimal  # quantity x price, rounded: the base of the line allowance
    allowance: Decimal  # BT-136 (line discount)
    discount_rate: Decimal | None
    net: Decimal  # BT-131
    category: str
    rate: Decimal


@dataclass(frozen=True)
class Totals:
    lines_net: Decimal  # BT-106
    allowances: Decimal  # BT-107
    tax_exclusive: Decimal  # BT-109
    tax: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    payable: Decimal  # BT-115


@dataclass(frozen=True)
class EInvoice:
    credit_note: bool
    type_code: str  # 380 invoice, 381 credit note
    number: str
    issue_date: date
    currency: str
    language: str
    buyer_reference: str | None
    seller: Party
    buyer: Party
    lines: list[LineView]
    categories: list[Category]
    totals: Totals
    discount_rate: Decimal | None
    notes: list[str] = field(default_factory=list)
    service_date: date | None = None
    period: tuple[date, date] | None = None
    due_date: date | None = None
    payment_terms: str | None = None
    iban: str | None = None
    bic: str | None = None
    account_holder: str | None = None
    preceding: tuple[str, date | None] | None = None  # BG-3: number and date of the invoice corrected
    deliver_to: Party | None = None  # BG-15, for an intra-community supply


def category_of(doc: Document, rate: Decimal) -> tuple[str, str | None, str | None]:
    """VAT category code, exemption reason and reason code for one rate of a document."""
    if doc.vat_regulation == "reverse_charge":
        return REVERSE_CHARGE
    if doc.vat_regulation == "intra_community_supply":
        return INTRA_COMMUNITY
    if doc.vat_regulation == "export":
        return EXPORT
    if doc.vat_regulation == "tax_exempt":
        return "E", doc.tax_exemption_reason or "Exempt from VAT", None
    if rate > 0:
        return "S", None, None
    if doc.tax_exemption_reason:
        return "E", doc.tax_exemption_reason, None
    return "Z", None, None


def _party(src, *, contact: bool) -> Party:
    address = src.address
    return Party(
        name=src.company_name if hasattr(src, "company_name") else src.name,
        street=address.street, line2=address.line2, city=address.city, zip=address.zip, state=address.state,
        country=address.country, vat_id=src.vat_id, tax_number=src.tax_number, email=src.email,
        phone=getattr(src, "phone", None) if contact else None,
        contact_name=getattr(src, "contact_name", None) if contact else None,
    )


def _terms(doc: Document, credit_note: bool) -> str:
    words = TERMS.get(doc.language, TERMS["en"])
    if credit_note:
        return words["credit"]
    if doc.due_date is None:
        return words["none"]
    if doc.due_days is not None:
        return words["days"].format(days=doc.due_days, due=doc.due_date.isoformat())
    return words["due"].format(due=doc.due_date.isoformat())


def view(doc: Document, seller: Seller, *, today: date | None = None) -> EInvoice:
    """The EN 16931 view of `doc`; a draft gets the number DRAFT and today's date."""
    credit_note = doc.type == "credit_note"
    sign = Decimal(-1) if credit_note and doc.totals.gross < 0 else Decimal(1)

    def flip(value: Decimal) -> Decimal:
        return value * sign + 0  # + 0: no "-0.00"

    cur = doc.currency
    lines = []
    for line in doc.lines:
        rate = ZERO if doc.vat_regulation != "standard" else line.tax_rate
        net = flip(line.net_amount)
        gross = flip(round_money(line.quantity * line.unit_price, cur))
        if doc.price_layout == "gross" and not line.discount_rate:
            gross = net  # the net was extracted from the gross amounts: no allowance, whatever a cent says
        lines.append(LineView(
            id=str(line.position), name=line.description, quantity=flip(line.quantity), unit=unit_code(line.unit),
            price=line.unit_price, gross=gross, allowance=gross - net, discount_rate=line.discount_rate, net=net,
            category=category_of(doc, rate)[0], rate=rate.normalize(),
        ))
    categories = []
    for tax in doc.totals.taxes:
        code, reason, reason_code = category_of(doc, tax.rate)
        lines_net = sum((v.net for v in lines if v.rate == tax.rate.normalize()), round_money(ZERO, cur))
        basis = flip(tax.net)
        categories.append(Category(
            code=code, rate=tax.rate.normalize(), lines_net=lines_net, allowance=lines_net - basis, basis=basis,
            tax=flip(tax.tax), reason=reason, reason_code=reason_code,
        ))
    t = doc.totals
    totals = Totals(
        lines_net=flip(t.lines_net), allowances=flip(t.discount), tax_exclusive=flip(t.net), tax=flip(t.tax),
        tax_inclusive=flip(t.gross), payable=flip(t.gross),
    )
    notes = [text for text in (doc.introduction, doc.notes) if text]
    buyer = _party(doc.client, contact=False)
    preceding = None
    if doc.preceding is not None and doc.preceding.number:
        preceding = (doc.preceding.number, doc.preceding.issue_date)
    period = (doc.service_period.start, doc.service_period.end) if doc.service_period else None
    issue_date = doc.issue_date or today or date.today()
    # No service date or period given: the supply is dated the day of the invoice (BT-72).
    service_date = doc.service_date or (None if period else issue_date)
    return EInvoice(
        credit_note=credit_note, type_code="381" if credit_note else "380",
        number=doc.number or "DRAFT", issue_date=issue_date, currency=cur,
        language=doc.language, buyer_reference=doc.client.buyer_reference, seller=_party(seller, contact=True),
        buyer=buyer, lines=lines, categories=categories, totals=totals, discount_rate=doc.discount_rate, notes=notes,
        service_date=service_date, period=period, due_date=None if credit_note else doc.due_date,
        payment_terms=_terms(doc, credit_note), iban=(seller.bank.iban or "").replace(" ", "") or None,
        bic=seller.bank.bic, account_holder=seller.bank.account_holder or seller.company_name, preceding=preceding,
        deliver_to=buyer if doc.vat_regulation == "intra_community_supply" else None,
    )


def amount(value: Decimal) -> str:
    """An amount as EN 16931 writes it: plain decimal notation, never an exponent."""
    return format(value, "f")


def number(value: Decimal) -> str:
    """A rate, quantity or price without trailing zeros or exponent."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"
