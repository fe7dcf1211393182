"""XRechnung: an EN 16931 view as a UBL 2.1 Invoice or CreditNote (XRechnung 3.0 CIUS).

Elements are written in the order the UBL schema's sequences demand.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from billwire_invoices.documents.einvoice.model import (
    Category,
    EInvoice,
    LineView,
    Party,
    amount,
    number,
)

XRECHNUNG_CIUS = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
DISCOUNT = {"en": "Discount", "de": "Rabatt"}


class _Writer:
    def __init__(self, currency: str) -> None:
        self.currency = currency

    @staticmethod
    def agg(parent: etree._Element, tag: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{CAC}}}{tag}")

    @staticmethod
    def val(parent: etree._Element, tag: str, text: object, **attrs: str) -> etree._Element | None:
        if text is None or text == "":
            return None
        node = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrs)
        node.text = str(text)
        return node

    def money(self, parent: etree._Element, tag: str, value: Decimal) -> None:
        self.val(parent, tag, amount(value), currencyID=self.currency)


def _address(w: _Writer, parent: etree._Element, tag: str, party: Party) -> None:
    address = w.agg(parent, tag)
    w.val(address, "StreetName", party.street)
    w.val(address, "AdditionalStreetName", party.line2)
    w.val(address, "CityName", party.city)
    w.val(address, "PostalZone", party.zip)
    w.val(address, "CountrySubentity", party.state)
    country = w.agg(address, "Country")
    w.val(country, "IdentificationCode", party.country)


def _party(w: _Writer, parent: etree._Element, tag: str, party: Party, *, seller: bool) -> None:
    holder = w.agg(w.agg(parent, tag), "Party")
    w.val(holder, "EndpointID", party.email, schemeID="EM")
    _address(w, holder, "PostalAddress", party)
    for company_id, scheme in ((party.vat_id, "VAT"), (party.tax_number if seller else None, "FC")):
        if company_id:
            tax = w.agg(holder, "PartyTaxScheme")
            w.val(tax, "CompanyID", company_id)
            w.val(w.agg(tax, "TaxScheme"), "ID", scheme)
    legal = w.agg(holder, "PartyLegalEntity")
    w.val(legal, "RegistrationName", party.name)
    if seller and (party.contact_name or party.phone or party.email):
        contact = w.agg(holder, "Contact")
        w.val(contact, "Name", party.contact_name)
        w.val(contact, "Telephone", party.phone)
        w.val(contact, "ElectronicMail", party.email)


def _tax_category(w: _Writer, parent: etree._Element, tag: str, code: str, rate: Decimal,
                  reason: str | None = None, reason_code: str | None = None) -> None:
    category = w.agg(parent, tag)
    w.val(category, "ID", code)
    w.val(category, "Percent", number(rate))
    w.val(category, "TaxExemptionReasonCode", reason_code)
    w.val(category, "TaxExemptionReason", reason)
    w.val(w.agg(category, "TaxScheme"), "ID", "VAT")


def _allowance(w: _Writer, parent: etree._Element, value: Decimal, base: Decimal, rate: Decimal | None,
               reason: str, category: Category | None = None) -> None:
    node = w.agg(parent, "AllowanceCharge")
    w.val(node, "ChargeIndicator", "false")
    w.val(node, "AllowanceChargeReasonCode", "95")
    w.val(node, "AllowanceChargeReason", reason)
    if rate:
        w.val(node, "MultiplierFactorNumeric", number(rate))
    w.money(node, "Amount", value)
    w.money(node, "BaseAmount", base)
    if category is not None:
        _tax_category(w, node, "TaxCategory", category.code, category.rate)


def _line(w: _Writer, parent: etree._Element, line: LineView, inv: EInvoice) -> None:
    node = w.agg(parent, "CreditNoteLine" if inv.credit_note else "InvoiceLine")
    w.val(node, "ID", line.id)
    w.val(node, "CreditedQuantity" if inv.credit_note else "InvoicedQuantity", number(line.quantity), unitCode=line.unit)
    w.money(node, "LineExtensionAmount", line.net)
    if line.allowance:
        _allowance(w, node, line.allowance, line.gross, line.discount_rate, DISCOUNT.get(inv.language, "Discount"))
    item = w.agg(node, "Item")
    w.val(item, "Name", line.name.splitlines()[0][:200] if line.name.strip() else "-")
    if "\n" in line.name or len(line.name) > 200:
        item.insert(0, etree.Element(f"{{{CBC}}}Description"))
        item[0].text = line.name
    _tax_category(w, item, "ClassifiedTaxCategory", line.category, line.rate)
    price = w.agg(node, "Price")
    w.val(price, "PriceAmount", number(line.price), currencyID=inv.currency)


def build_ubl(inv: EInvoice) -> bytes:
    """The XRechnung XML of `inv` (UTF-8, with declaration)."""
    w = _Writer(inv.currency)
    ns = NS_CREDIT_NOTE if inv.credit_note else NS_INVOICE
    root = etree.Element(f"{{{ns}}}{'CreditNote' if inv.credit_note else 'Invoice'}", nsmap={None: ns, "cac": CAC, "cbc": CBC})
    w.val(root, "CustomizationID", XRECHNUNG_CIUS)
    w.val(root, "ProfileID", PEPPOL_PROFILE)
    w.val(root, "ID", inv.number)
    w.val(root, "IssueDate", inv.issue_date.isoformat())
    if not inv.credit_note and inv.due_date:
        w.val(root, "DueDate", inv.due_date.isoformat())
    w.val(root, "CreditNoteTypeCode" if inv.credit_note else "InvoiceTypeCode", inv.type_code)
    for note in inv.notes:
        w.val(root, "Note", note)
    w.val(root, "DocumentCurrencyCode", inv.currency)
    w.val(root, "BuyerReference", inv.buyer_reference)
    if inv.period:
        period = w.agg(root, "InvoicePeriod")
        w.val(period, "StartDate", inv.period[0].isoformat())
        w.val(period, "EndDate", inv.period[1].isoformat())
    if inv.preceding:
        ref = w.agg(w.agg(root, "BillingReference"), "InvoiceDocumentReference")
        w.val(ref, "ID", inv.preceding[0])
        w.val(ref, "IssueDate", inv.preceding[1].isoformat() if inv.preceding[1] else None)
    _party(w, root, "AccountingSupplierParty", inv.seller, seller=True)
    _party(w, root, "AccountingCustomerParty", inv.buyer, seller=False)
    if inv.service_date or inv.deliver_to:
        delivery = w.agg(root, "Delivery")
        w.val(delivery, "ActualDeliveryDate", inv.service_date.isoformat() if inv.service_date else None)
        if inv.deliver_to:
            _address(w, w.agg(delivery, "DeliveryLocation"), "Address", inv.deliver_to)
    if inv.iban:
        means = w.agg(root, "PaymentMeans")
        w.val(means, "PaymentMeansCode", "58", name="SEPA credit transfer")
        w.val(means, "PaymentID", inv.number)
        account = w.agg(means, "PayeeFinancialAccount")
        w.val(account, "ID", inv.iban)
        w.val(account, "Name", inv.account_holder)
        if inv.bic:
            w.val(w.agg(account, "FinancialInstitutionBranch"), "ID", inv.bic)
    if inv.payment_terms:
        w.val(w.agg(root, "PaymentTerms"), "Note", inv.payment_terms)
    for category in inv.categories:
        if category.allowance:
            _allowance(w, root, category.allowance, category.lines_net, inv.discount_rate,
                       DISCOUNT.get(inv.language, "Discount"), category)
    tax_total = w.agg(root, "TaxTotal")
    w.money(tax_total, "TaxAmount", inv.totals.tax)
    for category in inv.categories:
        sub = w.agg(tax_total, "TaxSubtotal")
        w.money(sub, "TaxableAmount", category.basis)
        w.money(sub, "TaxAmount", category.tax)
        _tax_category(w, sub, "TaxCategory", category.code, category.rate, category.reason, category.reason_code)
    totals = w.agg(root, "LegalMonetaryTotal")
    w.money(totals, "LineExtensionAmount", inv.totals.lines_net)
    w.money(totals, "TaxExclusiveAmount", inv.totals.tax_exclusive)
    w.money(totals, "TaxInclusiveAmount", inv.totals.tax_inclusive)
    if inv.totals.allowances:
        w.money(totals, "AllowanceTotalAmount", inv.totals.allowances)
    w.money(totals, "PayableAmount", inv.totals.payable)
    for line in inv.lines:
        _line(w, root, line, inv)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
