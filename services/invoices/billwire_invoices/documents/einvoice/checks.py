"""The e-invoice check that guards saves and finalize: 422 EINVOICE_INVALID, rule by rule,
each failure named by the Billwire field a user changes to fix it."""

from __future__ import annotations

import asyncio
import re
from datetime import date

from billwire_invoices.documents.einvoice import (  # noqa: F401 (warm_up: re-exported)
    EXPORTABLE,
    build,
    is_einvoice,
    validate_xml,
    warm_up,
)
from billwire_invoices.documents.einvoice.validate import Failure, run_on_saxon_thread
from billwire_shared.contracts.accounts import Seller
from billwire_shared.contracts.documents import Document
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, invalid

# Rule id (or its prefix up to the last dash) -> the field it is about.
FIELDS = {
    "BR-DE-1": "profile.bank.iban", "BR-DE-23-a": "profile.bank.iban", "BR-DE-19": "profile.bank.iban",
    "BR-61": "profile.bank.iban", "BR-50": "profile.bank.iban",
    "BR-DE-2": "profile.contact_name", "BR-DE-5": "profile.contact_name",
    "BR-DE-6": "profile.phone", "BR-DE-27": "profile.phone", "BR-DE-7": "profile.email", "BR-DE-28": "profile.email",
    "BR-DE-3": "profile.address.city", "BR-DE-4": "profile.address.zip",
    "BR-DE-8": "client.address.city", "BR-DE-9": "client.address.zip",
    "BR-DE-10": "client.address.city", "BR-DE-11": "client.address.zip",
    "BR-DE-15": "client.buyer_reference", "BR-DE-16": "profile.vat_id",
    "BR-02": "number", "BR-03": "issue_date", "BR-05": "currency", "BR-06": "profile.company_name",
    "BR-07": "client.name", "BR-08": "profile.address", "BR-09": "profile.address.country",
    "BR-10": "client.address", "BR-11": "client.address.country", "BR-16": "lines",
    "BR-CO-09": "profile.vat_id", "BR-CO-25": "due_date", "BR-CO-26": "profile.vat_id",
    "BR-S-02": "profile.vat_id", "BR-Z-02": "profile.vat_id", "BR-E-02": "profile.vat_id",
    "BR-E-10": "tax_exemption_reason", "BR-IC-11": "service_date", "BR-IC-12": "client.address.country",
}  # fmt: skip
TOTALS = re.compile(r"^BR-(CO-1[0-7]|[A-Z]+-0?[89]|CO-13|CO-15|CO-16)$")
SELLER_OR_BUYER_VAT = re.compile(r"^BR-(AE|IC)-0[2-4]$")


def field_of(failure: Failure, doc: Document, seller: Seller) -> str:
    if failure.rule in FIELDS:
        return FIELDS[failure.rule]
    if SELLER_OR_BUYER_VAT.match(failure.rule):
        return "client.vat_id" if seller.vat_id else "profile.vat_id"
    if TOTALS.match(failure.rule):
        return "totals"
    if failure.rule.startswith("BR-DEC") or failure.rule.startswith("BR-CL"):
        return "lines" if "Line" in failure.location else "currency"
    return "einvoice"


def export_type_for(doc_type: str, requested: str | None, client_default: str | None, profile_default: str) -> str:
    """A new document's export type: as asked, else the client's, else the account's default;
    only invoices and credit notes are e-invoices (others always export as a plain PDF)."""
    if doc_type not in EXPORTABLE:
        if requested not in (None, "pdf"):
            raise invalid([FieldError(field="export_type", message=f"a {doc_type.replace('_', ' ')} exports only as pdf")])
        return "pdf"
    return requested or client_default or profile_default


def problems(doc: Document, seller: Seller, *, today: date | None = None) -> list[FieldError]:
    """What keeps `doc` from being a valid e-invoice of its export type (blocking rules only)."""
    if not is_einvoice(doc):
        return []
    xml = build(doc, seller, today=today)
    out = []
    for failure in validate_xml(xml, doc.export_type):
        if failure.blocking:
            out.append(FieldError(field=field_of(failure, doc, seller), message=failure.message, rule=failure.rule))
    return out


def raise_if_invalid(found: list[FieldError], doc: Document) -> None:
    if found:
        what = "XRechnung" if doc.export_type == "xrechnung" else "Factur-X"
        rules = ", ".join(dict.fromkeys(p.rule or "" for p in found))
        raise BillwireError(
            ErrorCode.EINVOICE_INVALID,
            f"The {doc.type.replace('_', ' ')} is not a valid {what} e-invoice ({rules}); fix the fields named,"
            " or set export_type to pdf.",
            found,
        )


async def check(doc: Document, seller: Seller) -> None:
    """Raise 422 EINVOICE_INVALID unless `doc` is a valid e-invoice (or exports as a plain PDF).
    The work runs off the event loop, on Saxon's own thread."""
    if not is_einvoice(doc):
        return
    found = await asyncio.wrap_future(run_on_saxon_thread(problems, doc, seller))
    raise_if_invalid(found, doc)
