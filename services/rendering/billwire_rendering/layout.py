"""What a document's PDF shows, in its language: pure functions from a RenderInput to the
values the template prints (titles, formatted money, dates and addresses, notes).

Nothing here touches the browser or the database; the template only places these strings,
and Jinja2 escapes every one of them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
)

from billwire_rendering.labels import LABELS, VAT_NOTES
from billwire_shared.contracts.common import Address
from billwire_shared.contracts.documents import Document, Line
from billwire_shared.contracts.rendering import RenderInput
from billwire_shared.document_titles import CANCELLATION_TITLES, TITLES

LOCALES = {"de": "de_DE", "en": "en_GB"}
TEMPLATE = "document-v1"
MAX_PRICE_PLACES = 4  # a unit price given with more places is printed with at most these


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, "en_GB"))


@cache
def _percent_pattern(language: str) -> str:
    pattern = _locale(language).percent_formats[None].pattern  # "#,##0 %" (de), "#,##0%" (en)
    return pattern.replace("#,##0", "#,##0.##", 1)


class Formatter:
    """Numbers, money, rates and dates as the document's language writes them."""

    def __init__(self, language: str, currency: str) -> None:
        self.language, self.currency = language, currency
        self.locale = _locale(language)

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def price(self, amount: Decimal, given: bool = True) -> str:
        """A unit price with the currency's places; one given with more keeps them, at most
        MAX_PRICE_PLACES (0.125 stays 0.125). A derived price (a net worked out from a gross
        one, 84.03361345) is printed to the currency's places."""
        currency_places = get_currency_precision(self.currency)
        places = max(-int(amount.normalize().as_tuple().exponent), 0) if given else currency_places
        if places <= currency_places:
            return self.money(amount)
        places = min(places, MAX_PRICE_PLACES)
        shown = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        pattern = self.locale.currency_formats["standard"].pattern.replace("0.00", "0." + "0" * places, 1)
        return format_currency(shown, self.currency, format=pattern, locale=self.locale, currency_digits=False)

    def quantity(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), format="#,##0.########", locale=self.locale)

    def rate(self, value: Decimal) -> str:
        return format_percent(value / 100, format=_percent_pattern(self.language), locale=self.locale)

    def day(self, value: date | None) -> str:
        return format_date(value, "medium", locale=self.locale) if value else ""

    def country(self, code: str | None) -> str:
        return self.locale.territories.get(code, code) if code else ""


@dataclass
class Row:
    position: int
    description: str
    quantity: str
    unit: str
    unit_price: str
    tax_rate: str
    amount: str
    discount: str = ""


@dataclass
class TaxRow:
    label: str
    amount: str


@dataclass
class View:
    """Everything the template prints; strings only, already formatted."""

    language: str
    labels: dict[str, str]
    title: str
    draft: bool
    number: str
    reference: str  # e.g. "Cancels invoice INV-2026-0001 of 01.10.2026"
    seller_name: str
    sender_line: str
    recipient: list[str]
    meta: list[tuple[str, str]]
    introduction: str
    rows: list[Row]
    totals: list[TaxRow]
    gross_label: str
    gross: str
    vat_note: str
    notes: str
    payment: list[tuple[str, str]]
    payment_text: str
    footer_columns: list[list[str]]
    legal_footer: str
    logo_uri: str | None = None
    show_prices: bool = True  # False: a delivery note without prices, VAT or totals
    imported_note: str = ""  # a document imported from another system says so
    extra: dict[str, str] = field(default_factory=dict)


def title_of(doc: Document) -> str:
    if doc.type == "credit_note" and doc.preceding is not None and doc.preceding.type == "invoice":
        return CANCELLATION_TITLES[doc.language]
    return TITLES[doc.language][doc.type]


def reference_of(doc: Document, fmt: Formatter, labels: dict[str, str]) -> str:
    ref = doc.preceding
    if ref is None:
        return ""
    what = TITLES[doc.language][ref.type]
    text = labels["refers_to"].format(what=what, number=ref.number or "—")
    if ref.issue_date:
        text += " " + labels["of_date"].format(date=fmt.day(ref.issue_date))
    return text


def address_lines(address: Address, fmt: Formatter, home_country: str | None) -> list[str]:
    """Street, line 2, postcode and town, and the country when it is abroad (in the document's
    language): separate fields, never one blob of text."""
    lines = [part for part in (address.street, address.line2) if part]
    if address.country in ("US", "CA", "AU"):
        town = ", ".join(p for p in (address.city, " ".join(x for x in (address.state, address.zip) if x)) if p)
    elif address.country == "GB":
        town = " ".join(p for p in (address.city, address.zip) if p)
    else:
        town = " ".join(p for p in (address.zip, address.city) if p)
    if town:
        lines.append(town)
    if address.country and address.country != home_country:
        lines.append(fmt.country(address.country).upper())
    return lines


def iban_groups(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _rows(lines: list[Line], fmt: Formatter, labels: dict[str, str], gross: bool) -> list[Row]:
    """The lines as printed: in the gross layout with gross prices and amounts."""
    return [
        Row(
            position=line.position,
            description=line.description,
            quantity=fmt.quantity(line.quantity),
            unit=line.unit or "",
            unit_price=fmt.price(line.gross_unit_price, given=line.price_basis == "gross")
            if gross and line.gross_unit_price is not None else fmt.price(line.unit_price, given=line.price_basis == "net"),
            tax_rate=fmt.rate(line.tax_rate),
            amount=fmt.money(line.gross_amount if gross and line.gross_amount is not None else line.net_amount),
            discount=labels["line_discount"].format(rate=fmt.rate(line.discount_rate)) if line.discount_rate else "",
        )
        for line in lines
    ]


def net_totals(doc: Document, fmt: Formatter, labels: dict[str, str]) -> list[TaxRow]:
    """Net layout: the nets, less the discount, and the VAT added per rate."""
    totals = [TaxRow(labels["lines_net"], fmt.money(doc.totals.lines_net))]
    if doc.totals.discount:
        rate = fmt.rate(doc.discount_rate) if doc.discount_rate else ""
        totals.append(TaxRow(labels["discount"].format(rate=rate).strip(), fmt.money(-doc.totals.discount)))
        totals.append(TaxRow(labels["net"], fmt.money(doc.totals.net)))
    for tax in doc.totals.taxes:
        label = labels["tax_on"].format(rate=fmt.rate(tax.rate), net=fmt.money(tax.net))
        totals.append(TaxRow(label, fmt.money(tax.tax)))
    return totals


def gross_totals(doc: Document, fmt: Formatter, labels: dict[str, str]) -> list[TaxRow]:
    """Gross layout: the gross line amounts, less the discount, the net, and the VAT each rate's
    gross contains."""
    lines_gross = sum((line.gross_amount or line.net_amount for line in doc.lines), Decimal(0))
    totals = [TaxRow(labels["lines_net"], fmt.money(lines_gross))]
    if lines_gross != doc.totals.gross:
        rate = fmt.rate(doc.discount_rate) if doc.discount_rate else ""
        totals.append(TaxRow(labels["discount"].format(rate=rate).strip(), fmt.money(doc.totals.gross - lines_gross)))
    totals.append(TaxRow(labels["net"], fmt.money(doc.totals.net)))
    for tax in doc.totals.taxes:
        label = labels["tax_included"].format(rate=fmt.rate(tax.rate), net=fmt.money(tax.net))
        totals.append(TaxRow(label, fmt.money(tax.tax)))
    return totals


def data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def build_view(source: RenderInput) -> View:
    doc, seller = source.document, source.seller
    fmt = Formatter(doc.language, doc.currency)
    labels = LABELS[doc.language]
    home = seller.address.country
    draft = doc.status == "draft"

    meta: list[tuple[str, str]] = [(labels[f"number_{doc.type}"], doc.number or labels["draft_number"])]
    meta.append((labels["issue_date"], fmt.day(doc.issue_date) or "—"))
    if doc.service_period is not None:
        period = f"{fmt.day(doc.service_period.start)} – {fmt.day(doc.service_period.end)}"
        meta.append((labels["service_period"], period))
    elif doc.service_date is not None:
        meta.append((labels["service_date"], fmt.day(doc.service_date)))
    if doc.due_date is not None and doc.type in ("invoice", "estimate"):
        meta.append((labels["valid_until"] if doc.type == "estimate" else labels["due_date"], fmt.day(doc.due_date)))
    if doc.client.client_number:
        meta.append((labels["client_number"], doc.client.client_number))
    if doc.client.vat_id:
        meta.append((labels["client_vat_id"], doc.client.vat_id))

    gross_layout = doc.price_layout == "gross"
    totals = gross_totals(doc, fmt, labels) if gross_layout else net_totals(doc, fmt, labels)
    if gross_layout:
        labels = labels | {"unit_price": labels["unit_price_gross"], "amount": labels["amount_gross"]}

    payment: list[tuple[str, str]] = []
    payment_text = ""
    bank = seller.bank
    if doc.type == "invoice" and (bank.iban or bank.account_holder):
        payment = [
            (labels["account_holder"], bank.account_holder or seller.company_name or ""),
            ("IBAN", iban_groups(bank.iban) if bank.iban else ""),
            ("BIC", bank.bic or ""),
            (labels["payment_reference"], doc.number or labels["draft_number"]),
        ]
        payment = [(k, v) for k, v in payment if v]
        amount = fmt.money(doc.totals.gross)
        payment_text = (
            labels["pay_by"].format(amount=amount, date=fmt.day(doc.due_date)) if doc.due_date
            else labels["pay_now"].format(amount=amount)
        )
    elif doc.type == "credit_note":
        payment_text = labels["credit_text"].format(amount=fmt.money(doc.totals.gross))
        if doc.refund_amount:
            payment_text += " " + labels["refund_text"].format(amount=fmt.money(doc.refund_amount))

    company = seller.company_name or ""
    seller_address = address_lines(seller.address, fmt, home)
    contact = [x for x in (seller.email, seller.phone) if x]
    tax_ids = [labels["tax_number"] + " " + seller.tax_number] if seller.tax_number else []
    tax_ids += [labels["vat_id"] + " " + seller.vat_id] if seller.vat_id else []
    bank_lines = [x for x in (bank.account_holder, "IBAN " + iban_groups(bank.iban) if bank.iban else "",
                              "BIC " + bank.bic if bank.bic else "") if x]
    footer_columns = [col for col in ([company, *seller_address], [*contact, *tax_ids], bank_lines) if col]

    return View(
        language=doc.language,
        labels=labels,
        title=title_of(doc),
        draft=draft,
        number=doc.number or "",
        reference=reference_of(doc, fmt, labels),
        seller_name=company,
        sender_line=" · ".join(x for x in (company, *address_lines(seller.address, fmt, home)) if x),
        recipient=[doc.client.name, *address_lines(doc.client.address, fmt, home)],
        meta=meta,
        introduction=doc.introduction or "",
        rows=_rows(doc.lines, fmt, labels, gross_layout),
        totals=totals,
        gross_label=labels["gross"] if doc.totals.tax or doc.type != "estimate" else labels["total"],
        gross=fmt.money(doc.totals.gross),
        vat_note=(doc.vat_regulation == "tax_exempt" and doc.tax_exemption_reason) or VAT_NOTES[doc.language].get(doc.vat_regulation, ""),
        notes=doc.notes or "",
        payment=payment,
        payment_text=payment_text,
        footer_columns=footer_columns,
        legal_footer=seller.legal_footer or "",
        logo_uri=data_uri(source.logo.media_type, source.logo.data) if source.logo else None,
        show_prices=doc.show_prices,
        imported_note=labels["imported_note"] if doc.imported else "",
    )


def filename_of(doc: Document) -> str:
    """INV-2026-0001.pdf; a draft: draft-<type>-<id8>.pdf. Only safe characters survive."""
    stem = doc.number or f"draft-{doc.type.replace('_', '-')}-{str(doc.id)[:8]}"
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in stem).strip(".-") or "document"
    return f"{safe}.pdf"
