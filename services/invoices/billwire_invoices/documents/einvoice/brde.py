"""The German XRechnung 3.0 rules (BR-DE) that apply to what Billwire writes, as explicit checks.

KoSIT publishes these rules only as schematron source (xrechnung-schematron); no package on
PyPI, npm or Debian ships them, nor a compiled form, so the ones that concern Billwire's
documents are implemented here against the UBL XML, each with the rule's id and meaning.
Not covered: the rules for data Billwire never writes (card payment BR-DE-24, direct debit
BR-DE-20/25/30/31, attachments BR-DE-22, Skonto syntax BR-DE-18, the DEX extension and CVD
rules), and any rule KoSIT adds after XRechnung 3.0.
"""

from __future__ import annotations

import re

from lxml import etree

from billwire_invoices.documents.einvoice.ubl import CAC, CBC, XRECHNUNG_CIUS
from billwire_invoices.documents.einvoice.validate import Failure

NS = {"cac": CAC, "cbc": CBC}
TELEPHONE = re.compile(r".*([0-9].*){3,}.*")
EMAIL = re.compile(
    r"^[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+(\.[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+)*"
    r"@([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$"
)
VAT_CODES = {"S", "Z", "E", "AE", "K", "G", "L", "M"}
TYPE_CODES = {"326", "380", "384", "389", "381", "875", "876", "877"}


def _text(node: etree._Element, path: str) -> str:
    found = node.xpath(f"normalize-space({path})", namespaces=NS)
    return found if isinstance(found, str) else ""


def _has(node: etree._Element, path: str) -> bool:
    return bool(node.xpath(path, namespaces=NS))


def _iban_ok(value: str) -> bool:
    iban = re.sub(r"\s", "", value)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}", iban):
        return False
    digits = "".join(str(int(ch, 36)) for ch in (iban[4:] + iban[:4]).upper())
    return int(digits) % 97 == 1


def brde_failures(xml: bytes) -> list[Failure]:
    root = etree.fromstring(xml)
    out: list[Failure] = []
    name = etree.QName(root).localname

    def rule(ok: bool, rule_id: str, message: str, location: str, flag: str = "fatal") -> None:
        if not ok:
            out.append(Failure(rule_id, message, location, flag))

    top = f"/{name}"
    rule(_has(root, "cac:PaymentMeans"), "BR-DE-1", "An invoice must contain PAYMENT INSTRUCTIONS (BG-16).", top)
    rule(bool(_text(root, "cbc:BuyerReference")), "BR-DE-15", 'The element "Buyer reference" (BT-10) must be given.', top)
    codes = set(root.xpath(".//cac:ClassifiedTaxCategory/cbc:ID/text() | cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()"
                           " | cac:AllowanceCharge/cac:TaxCategory/cbc:ID/text()", namespaces=NS))
    seller_tax = _has(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID[normalize-space(.)]")
    rule(not (codes & VAT_CODES) or seller_tax or _has(root, "cac:TaxRepresentativeParty"), "BR-DE-16",
         "With VAT category codes S, Z, E, AE, K, G, L or M, the seller VAT identifier (BT-31), the seller tax"
         " registration identifier (BT-32) or a SELLER TAX REPRESENTATIVE PARTY (BG-11) must be given.", top)
    type_code = _text(root, "cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode")
    rule(type_code in TYPE_CODES, "BR-DE-17", f"The invoice type code (BT-3) should be one of {sorted(TYPE_CODES)}.", top, "warning")
    rule(_text(root, "cbc:CustomizationID") == XRECHNUNG_CIUS, "BR-DE-21",
         "The specification identifier (BT-24) should be the XRechnung identifier.", top, "warning")
    rule(type_code != "384" or _has(root, "cac:BillingReference/cac:InvoiceDocumentReference"), "BR-DE-26",
         "A corrected invoice (384) should refer to the PRECEDING INVOICE (BG-3).", top, "warning")

    supplier = f"{top}/cac:AccountingSupplierParty"
    party = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    if party is not None:
        rule(party.find("cac:Contact", NS) is not None, "BR-DE-2", "The group SELLER CONTACT (BG-6) must be given.", supplier)
        address = party.find("cac:PostalAddress", NS)
        if address is not None:
            rule(bool(_text(address, "cbc:CityName")), "BR-DE-3", 'The element "Seller city" (BT-37) must be given.', f"{supplier}/cac:Party/cac:PostalAddress")
            rule(bool(_text(address, "cbc:PostalZone")), "BR-DE-4", 'The element "Seller post code" (BT-38) must be given.', f"{supplier}/cac:Party/cac:PostalAddress")
        contact = party.find("cac:Contact", NS)
        if contact is not None:
            at = f"{supplier}/cac:Party/cac:Contact"
            phone, email = _text(contact, "cbc:Telephone"), _text(contact, "cbc:ElectronicMail")
            rule(bool(_text(contact, "cbc:Name")), "BR-DE-5", 'The element "Seller contact point" (BT-41) must be given.', at)
            rule(bool(phone), "BR-DE-6", 'The element "Seller contact telephone number" (BT-42) must be given.', at)
            rule(bool(email), "BR-DE-7", 'The element "Seller contact email address" (BT-43) must be given.', at)
            rule(not phone or bool(TELEPHONE.fullmatch(phone)), "BR-DE-27", "The seller's telephone number (BT-42) should contain at least three digits.", at, "warning")
            rule(not email or bool(EMAIL.match(email)), "BR-DE-28", "The seller's e-mail address (BT-43) should be a valid address with exactly one @.", at, "warning")
    buyer_address = root.find("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress", NS)
    if buyer_address is not None:
        at = f"{top}/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress"
        rule(bool(_text(buyer_address, "cbc:CityName")), "BR-DE-8", 'The element "Buyer city" (BT-52) must be given.', at)
        rule(bool(_text(buyer_address, "cbc:PostalZone")), "BR-DE-9", 'The element "Buyer post code" (BT-53) must be given.', at)
    for address in root.findall("cac:Delivery/cac:DeliveryLocation/cac:Address", NS):
        at = f"{top}/cac:Delivery/cac:DeliveryLocation/cac:Address"
        rule(bool(_text(address, "cbc:CityName")), "BR-DE-10", 'With a DELIVER TO ADDRESS (BG-15), "Deliver to city" (BT-77) must be given.', at)
        rule(bool(_text(address, "cbc:PostalZone")), "BR-DE-11", 'With a DELIVER TO ADDRESS (BG-15), "Deliver to post code" (BT-78) must be given.', at)
    for means in root.findall("cac:PaymentMeans", NS):
        if _text(means, "cbc:PaymentMeansCode") not in ("30", "58"):
            continue
        at = f"{top}/cac:PaymentMeans"
        account = _text(means, "cac:PayeeFinancialAccount/cbc:ID")
        if _text(means, "cbc:PaymentMeansCode") == "58":
            rule(_iban_ok(account), "BR-DE-19", "With SEPA credit transfer (58), the payment account identifier (BT-84) should be a valid IBAN.", at, "warning")
        rule(means.find("cac:PayeeFinancialAccount", NS) is not None, "BR-DE-23-a",
             "With a credit transfer payment means (30, 58), CREDIT TRANSFER (BG-17) must be given.", at)
        rule(means.find("cac:CardAccount", NS) is None and means.find("cac:PaymentMandate", NS) is None, "BR-DE-23-b",
             "With a credit transfer payment means (30, 58), card (BG-18) and direct debit (BG-19) must not be given.", at)
    for index, subtotal in enumerate(root.findall("cac:TaxTotal/cac:TaxSubtotal", NS), start=1):
        rule(bool(_text(subtotal, "cac:TaxCategory/cbc:Percent")), "BR-DE-14", 'The element "VAT category rate" (BT-119) must be given.',
             f"{top}/cac:TaxTotal/cac:TaxSubtotal[{index}]")
    return out
