"""E-invoices (EN 16931) of invoices and credit notes: XRechnung (UBL 2.1) and Factur-X (CII).

    xml = build(doc, seller)                 # the XML of the document's export type
    failures = validate_xml(xml, doc.export_type)  # XSD, EN 16931 schematron, BR-DE
    check(doc, seller)                       # raises 422 EINVOICE_INVALID with every rule

The builders and the BR-DE rules (lxml, drafthorse) are imported by the first e-invoice, not with
the service: most accounts never export one (issue 24: the stack's memory).
"""

from __future__ import annotations

from datetime import date

from billwire_invoices.documents.einvoice.model import EXPORTABLE, view
from billwire_invoices.documents.einvoice.validate import (
    Failure,
    schematron_failures,
    warm_up,
    xsd_failures,
)
from billwire_shared.contracts.accounts import Seller
from billwire_shared.contracts.documents import Document

SYNTAX = {"xrechnung": "ubl", "factur-x": "cii"}

__all__ = ["EXPORTABLE", "Failure", "build", "is_einvoice", "validate_xml", "warm_up"]


def is_einvoice(doc: Document) -> bool:
    return doc.export_type in SYNTAX and doc.type in EXPORTABLE


def build(doc: Document, seller: Seller, export_type: str | None = None, *, today: date | None = None) -> bytes:
    """The XML of `doc`: UBL for xrechnung, CII for factur-x (a draft is numbered DRAFT)."""
    from billwire_invoices.documents.einvoice.cii import build_cii
    from billwire_invoices.documents.einvoice.ubl import build_ubl

    kind = export_type or doc.export_type
    invoice = view(doc, seller, today=today)
    return build_ubl(invoice) if kind == "xrechnung" else build_cii(invoice)


def validate_xml(xml: bytes, export_type: str) -> list[Failure]:
    """Every failure: the schema first (the rules assume a schema-valid document), then the
    EN 16931 rules and, for XRechnung, the BR-DE rules."""
    syntax = SYNTAX[export_type]
    failures = xsd_failures(xml, syntax)
    if failures:
        return failures
    failures = schematron_failures(xml, syntax)
    if export_type == "xrechnung":
        from billwire_invoices.documents.einvoice.brde import brde_failures

        failures += brde_failures(xml)
    return failures
