"""Factur-X: an EN 16931 view as UN/CEFACT CII (Factur-X / ZUGFeRD profile EN 16931), built
with drafthorse. The XML is serialized without drafthorse's own schema check: validation runs
separately (validate.py), so that every problem is reported, not only the first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from drafthorse.models.accounting import (
    ApplicableTradeTax,
    CategoryTradeTax,
    TradeAllowanceCharge,
)
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import PostalTradeAddress, TaxRegistration, TradeParty
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem
from lxml import etree

from billwire_invoices.documents.einvoice.model import EInvoice, LineView, Party, number

FACTURX_EN16931 = "urn:cen.eu:en16931:2017"
DISCOUNT = {"en": "Discount", "de": "Rabatt"}
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


# Our address fields and the CII elements they fill, in document order.
_ADDRESS = (
    ("zip", "postcode"), ("street", "line_one"), ("line2", "line_two"), ("city", "city_name"),
    ("country", "country_id"), ("state", "country_subdivision"),
)


def _address(target: PostalTradeAddress, party: Party) -> None:
    for field, element in _ADDRESS:
        if value := getattr(party, field):
            setattr(target, element, value)


def _party(target: TradeParty, party: Party, *, seller: bool) -> None:
    if party.name:
        target.name = party.name
    if seller and (party.contact_name or party.phone or party.email):
        if party.contact_name:
            target.contact.person_name = party.contact_name
        if party.phone:
            target.contact.telephone.number = party.phone
        if party.email:
            target.contact.email.address = party.email
    _address(target.address, party)
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if party.vat_id:
        target.tax_registrations.add(TaxRegistration(id=("VA", party.vat_id)))
    if seller and party.tax_number:
        target.tax_registrations.add(TaxRegistration(id=("FC", party.tax_number)))


def _allowance(value: Decimal, base: Decimal, rate: Decimal | None, reason: str) -> TradeAllowanceCharge:
    charge = TradeAllowanceCharge()
    charge.indicator = False
    if rate:
        charge.calculation_percent = number(rate)
    charge.basis_amount = base
    charge.actual_amount = value
    charge.reason_code = "95"
    charge.reason = reason
    return charge


def _line(line: LineView, inv: EInvoice) -> LineItem:
    item = LineItem()
    item.document.line_id = line.id
    item.product.name = line.name
    item.agreement.net.amount = number(line.price)
    item.delivery.billed_quantity = (number(line.quantity), line.unit)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = line.category
    item.settlement.trade_tax.rate_applicable_percent = number(line.rate)
    if line.allowance:
        item.settlement.allowance_charge.add(
            _allowance(line.allowance, line.gross, line.discount_rate, DISCOUNT.get(inv.language, "Discount"))
        )
    item.settlement.monetary_summation.total_amount = line.net
    return item


def build_cii(inv: EInvoice) -> bytes:
    """The Factur-X (EN 16931 profile) XML of `inv` (UTF-8, with declaration)."""
    doc = Document()
    doc.context.guideline_parameter.id = FACTURX_EN16931
    doc.header.id = inv.number
    doc.header.type_code = inv.type_code
    doc.header.issue_date_time = inv.issue_date
    for text in inv.notes:
        note = IncludedNote()
        note.content = text
        doc.header.notes.add(note)
    for line in inv.lines:
        doc.trade.items.add(_line(line, inv))
    agreement = doc.trade.agreement
    if inv.buyer_reference:
        agreement.buyer_reference = inv.buyer_reference
    _party(agreement.seller, inv.seller, seller=True)
    _party(agreement.buyer, inv.buyer, seller=False)
    delivery = doc.trade.delivery
    if inv.deliver_to:
        _address(delivery.ship_to.address, inv.deliver_to)
    if inv.service_date:
        delivery.event.occurrence = inv.service_date
    settlement = doc.trade.settlement
    settlement.currency_code = inv.currency
    if inv.iban:
        settlement.payment_reference = inv.number
        means = PaymentMeans()
        means.type_code = "58"
        means.payee_account.iban = inv.iban
        if inv.account_holder:
            means.payee_account.account_name = inv.account_holder
        if inv.bic:
            means.payee_institution.bic = inv.bic
        settlement.payment_means.add(means)
    for category in inv.categories:
        tax = ApplicableTradeTax()
        tax.calculated_amount = category.tax
        tax.type_code = "VAT"
        if category.reason:
            tax.exemption_reason = category.reason
        tax.basis_amount = category.basis
        tax.category_code = category.code
        if category.reason_code:
            tax.exemption_reason_code = category.reason_code
        tax.rate_applicable_percent = number(category.rate)
        settlement.trade_tax.add(tax)
    if inv.period:
        settlement.period.start, settlement.period.end = inv.period
    for category in inv.categories:
        if category.allowance:
            charge = _allowance(category.allowance, category.lines_net, inv.discount_rate, DISCOUNT.get(inv.language, "Discount"))
            charge.trade_tax.add(_category_tax(category.code, category.rate))
            settlement.allowance_charge.add(charge)
    if inv.payment_terms or inv.due_date:
        terms = PaymentTerms()
        if inv.payment_terms:
            terms.description = inv.payment_terms
        if inv.due_date:
            terms.due = inv.due_date
        settlement.terms.add(terms)
    totals = settlement.monetary_summation
    totals.line_total = inv.totals.lines_net
    if inv.totals.allowances:
        totals.allowance_total = inv.totals.allowances
    totals.tax_basis_total = inv.totals.tax_exclusive
    totals.tax_total = (inv.totals.tax, inv.currency)
    totals.grand_total = inv.totals.tax_inclusive
    totals.due_amount = inv.totals.payable
    if inv.preceding:
        settlement.invoice_referenced_document.issuer_assigned_id = inv.preceding[0]
        if inv.preceding[1]:
            settlement.invoice_referenced_document.issue_date_time = inv.preceding[1]
    root = doc.to_etree()
    return etree.tostring(etree.fromstring(_fix_namespaces(root)), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _category_tax(code: str, rate: Decimal) -> CategoryTradeTax:
    tax = CategoryTradeTax()
    tax.type_code = "VAT"
    tax.category_code = code
    tax.rate_applicable_percent = number(rate)
    return tax


def _fix_namespaces(root: ET.Element) -> bytes:
    """drafthorse builds with the standard library's ElementTree; hand lxml clean bytes."""
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    return ET.tostring(root, "utf-8")
