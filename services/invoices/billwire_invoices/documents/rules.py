"""Pure invoicing logic: validation, totals with Decimal, numbering, finalize checks. No I/O."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from billwire_invoices.documents.pricing import VAT_ID_REGULATIONS, compute_totals, price_lines
from billwire_shared import validation
from billwire_shared.contracts.accounts import Profile, ProfilePatch, Seller
from billwire_shared.contracts.clients import (
    ClientInput,
    ClientSnapshot,
    Product,
)
from billwire_shared.contracts.common import Address
from billwire_shared.contracts.documents import (
    Document,
    DocumentInput,
    DocumentPatch,
    Line,
    LineInput,
)
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, invalid
from billwire_shared.money import (
    HUNDRED,
    ZERO,
    net_from_gross,
    round_price,
)


def merge(base: msgspec.Struct, patch: msgspec.Struct) -> dict[str, Any]:
    """The fields of `base` with the ones `patch` sets (UNSET fields are left alone)."""
    values = msgspec.structs.asdict(base)
    for name in patch.__struct_fields__:
        value = getattr(patch, name)
        if value is not msgspec.UNSET:
            values[name] = value
    return values


def check(problems: list[FieldError]) -> None:
    if problems:
        raise invalid(problems)


def _problem(problems: list[FieldError], field: str, message: str | None) -> None:
    if message:
        problems.append(FieldError(field=field, message=message))


def address_problems(address: Address, field: str) -> list[FieldError]:
    problems: list[FieldError] = []
    if address.country is not None:
        _problem(problems, f"{field}.country", validation.country_problem(address.country))
    return problems


def client_problems(client: ClientInput, field: str = "") -> list[FieldError]:
    at = f"{field}." if field else ""
    problems = address_problems(client.address, f"{at}address")
    if client.email is not None:
        _problem(problems, f"{at}email", validation.email_problem(client.email))
    if client.currency is not None:
        _problem(problems, f"{at}currency", validation.currency_problem(client.currency))
    problems += tax_id_problems(client.vat_id, client.tax_number, client.address.country, at)
    return problems


def tax_id_problems(vat_id: str | None, tax_number: str | None, country: str | None, at: str = "") -> list[FieldError]:
    """VAT ID and tax number, checked by the rules (and check digits) of their country."""
    problems: list[FieldError] = []
    if vat_id:
        _problem(problems, f"{at}vat_id", validation.vat_id_problem(vat_id, country))
    if tax_number:
        _problem(problems, f"{at}tax_number", validation.tax_number_problem(tax_number, country))
    return problems


def validate_client(client: ClientInput, field: str = "") -> ClientInput:
    check(client_problems(client, field))
    return client


def validate_profile(profile: Profile) -> Profile:
    problems = address_problems(profile.address, "address")
    if profile.company_name and (found := validation.header_break(profile.company_name)):  # the From name of every e-mail
        _problem(problems, "company_name", f"must be one line without NUL characters (it has {found})")
    if profile.email:
        _problem(problems, "email", validation.email_problem(profile.email))
    problems += tax_id_problems(profile.vat_id, profile.tax_number, profile.address.country)
    if profile.bank.iban:
        _problem(problems, "bank.iban", validation.iban_problem(profile.bank.iban))
    if profile.bank.bic:
        _problem(problems, "bank.bic", validation.bic_problem(profile.bank.bic))
    _problem(problems, "default_currency", validation.currency_problem(profile.default_currency))
    _problem(problems, "default_tax_rate", rate_problem(profile.default_tax_rate))
    for doc_type in profile.number_series.__struct_fields__:
        series = getattr(profile.number_series, doc_type)
        _problem(problems, f"number_series.{doc_type}.pattern", pattern_problem(series.pattern))
    check(problems)
    return profile


def apply_profile_patch(profile: Profile, patch: ProfilePatch) -> Profile:
    values = merge(profile, patch)
    if patch.number_series is not msgspec.UNSET:
        values["number_series"] = merge(profile.number_series, patch.number_series)
    return validate_profile(msgspec.convert(values, Profile, from_attributes=True))


def rate_problem(rate: Decimal | None) -> str | None:
    if rate is None:
        return None
    if not rate.is_finite() or rate < 0 or rate > HUNDRED:
        return "must be a percentage from 0 to 100"
    return None


def money_problem(amount: Decimal | None) -> str | None:
    if amount is None:
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal("999999999999"):
        return "must be a decimal amount from 0 to 999999999999"
    return None


# -- products -------------------------------------------------------------------------------


def product_from_input(data: dict[str, Any], default_tax_rate: Decimal) -> dict[str, Any]:
    """Normalise a product: exactly one of net or gross price; a gross price is kept as given, with
    the net derived from it, and needs its own tax rate (the profile's default would silently
    change what the gross price means)."""
    problems: list[FieldError] = []
    for name in ("net_price", "gross_price"):
        _problem(problems, name, money_problem(data.get(name)))
    tax_rate = data.get("tax_rate")
    if tax_rate is None and data.get("gross_price") is not None:
        problems.append(FieldError(field="tax_rate", message="tax_rate is required with gross_price"))
    if tax_rate is None:
        tax_rate = default_tax_rate
    _problem(problems, "tax_rate", rate_problem(tax_rate))
    net, gross = data.get("net_price"), data.get("gross_price")
    if net is not None and gross is not None:
        problems.append(FieldError(field="gross_price", message="give either net_price or gross_price, not both"))
    elif net is None and gross is None:
        problems.append(FieldError(field="net_price", message="net_price or gross_price is required"))
    check(problems)
    net_price = round_price(net) if net is not None else net_from_gross(gross, tax_rate)
    return {
        "title": data["title"],
        "description": data.get("description"),
        "unit": data.get("unit"),
        "net_price": net_price,
        "gross_price": gross,
        "tax_rate": tax_rate,
    }


def given_fields(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a body or patch actually sets."""
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not msgspec.UNSET}


# -- documents ------------------------------------------------------------------------------

def snapshot_of(client: ClientInput) -> ClientSnapshot:
    return ClientSnapshot(
        name=client.name,
        email=client.email,
        client_number=client.client_number,
        address=client.address,
        vat_id=client.vat_id,
        tax_number=client.tax_number,
        buyer_reference=client.buyer_reference,
    )


def resolve_line(
    line: LineInput, position: int, products: dict[Any, Product], default_tax_rate: Decimal
) -> tuple[Line | None, list[FieldError]]:
    """Fill a line from its product's defaults; report what is missing or out of range."""
    at = f"lines[{position - 1}]"
    problems: list[FieldError] = []
    product = products.get(line.product_id) if line.product_id else None
    if line.product_id and product is None:
        problems.append(FieldError(field=f"{at}.product_id", message=f"product {line.product_id} was not found"))
    description = line.description or (product.title if product else None)
    tax_rate = line.tax_rate if line.tax_rate is not None else (product.tax_rate if product else default_tax_rate)
    unit_price, gross_price = line.unit_price, line.gross_unit_price
    if unit_price is not None and gross_price is not None:
        problems.append(FieldError(field=f"{at}.gross_unit_price", message="give either unit_price or gross_unit_price, not both"))
    elif unit_price is None and gross_price is None and product is not None:
        unit_price, gross_price = (None, product.gross_price) if product.gross_price is not None else (product.net_price, None)
    if description is None and not problems:
        problems.append(FieldError(field=f"{at}.description", message="description is required without a product"))
    if unit_price is None and gross_price is None and not problems:
        problems.append(FieldError(field=f"{at}.unit_price", message="unit_price or gross_unit_price is required without a product"))
    if not line.quantity.is_finite() or line.quantity <= 0 or line.quantity > Decimal("999999999"):
        problems.append(FieldError(field=f"{at}.quantity", message="must be greater than 0"))
    _problem(problems, f"{at}.unit_price", money_problem(unit_price))
    _problem(problems, f"{at}.gross_unit_price", money_problem(gross_price))
    _problem(problems, f"{at}.tax_rate", rate_problem(tax_rate))
    _problem(problems, f"{at}.discount_rate", rate_problem(line.discount_rate))
    if problems:
        return None, problems
    return (
        Line(
            position=position,
            description=description,
            quantity=line.quantity,
            unit=line.unit or (product.unit if product else None),
            unit_price=round_price(unit_price) if gross_price is None else net_from_gross(gross_price, tax_rate),
            tax_rate=tax_rate,
            discount_rate=line.discount_rate,
            product_id=line.product_id,
            net_amount=ZERO,
            price_basis="net" if gross_price is None else "gross",
            gross_unit_price=None if gross_price is None else round_price(gross_price),
        ),
        [],
    )


def document_problems(doc: DocumentInput | dict[str, Any], *, exclusive: bool = True) -> list[FieldError]:
    """Conflicts within a document's content; `exclusive` also refuses due_date with due_days
    (for a body; a stored draft keeps due_days with the due_date derived from it)."""
    get = doc.get if isinstance(doc, dict) else lambda name: getattr(doc, name)
    problems: list[FieldError] = []
    if get("currency") is not None:
        _problem(problems, "currency", validation.currency_problem(get("currency")))
    _problem(problems, "discount_rate", rate_problem(get("discount_rate")))
    if exclusive and get("due_date") is not None and get("due_days") is not None:
        problems.append(FieldError(field="due_days", message="give either due_date or due_days, not both"))
    period = get("service_period")
    if period is not None and period.end < period.start:
        problems.append(FieldError(field="service_period.end", message="must not be before start"))
    if get("number") is not None and get("imported") is False:
        problems.append(FieldError(field="number", message="only an imported document (imported: true) carries its own number"))
    issue, due, days = get("issue_date"), get("due_date"), get("due_days")
    if issue is not None and days is not None and issue > date.max - timedelta(days=days):
        problems.append(FieldError(field="due_days", message="the due date would fall after the year 9999"))
    elif issue is not None and due is not None and due < issue and days is None:
        problems.append(FieldError(field="due_date", message="must not be before issue_date"))
    return problems


def due_date_of(issue_date: date | None, due_date: date | None, due_days: int | None) -> date | None:
    if due_date is not None:
        return due_date
    if issue_date is not None and due_days is not None:
        return issue_date + timedelta(days=due_days)
    return None


def build_lines(
    inputs: list[LineInput], products: dict[Any, Product], default_tax_rate: Decimal, currency: str
) -> list[Line]:
    lines, problems = [], []
    for position, line_input in enumerate(inputs, start=1):
        line, line_problems = resolve_line(line_input, position, products, default_tax_rate)
        problems.extend(line_problems)
        if line is not None:
            lines.append(line)
    check(problems)
    return price_lines(lines, currency)


def refresh(doc: Document) -> Document:
    """Recompute what derives from the content: line amounts, totals and the due date."""
    lines = price_lines(doc.lines, doc.currency, doc.price_layout, doc.vat_regulation)
    totals = compute_totals(lines, doc.currency, doc.discount_rate, doc.vat_regulation, doc.price_layout)
    due = doc.due_date if doc.due_days is None else due_date_of(doc.issue_date, None, doc.due_days)
    return msgspec.structs.replace(doc, lines=lines, totals=totals, due_date=due)


# -- numbering and finalize -----------------------------------------------------------------

TOKEN = re.compile(r"\{(YYYY|YY|MM|DD|SEQ(?::([1-9]|1[0-2]))?)\}")


def pattern_problem(pattern: str) -> str | None:
    if "{SEQ" not in pattern:
        return "the pattern needs a {SEQ} or {SEQ:n} token"
    leftover = TOKEN.sub("", pattern)
    if "{" in leftover or "}" in leftover:
        return "unknown token; use {YYYY}, {YY}, {MM}, {DD}, {SEQ} or {SEQ:n} with n from 1 to 12"
    return None


def format_number(pattern: str, sequence: int, on: date) -> str:
    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("SEQ"):
            return str(sequence).zfill(int(match.group(2) or 1))
        return {"YYYY": f"{on.year:04d}", "YY": f"{on.year % 100:02d}", "MM": f"{on.month:02d}", "DD": f"{on.day:02d}"}[name]

    return TOKEN.sub(token, pattern)


def series_period(on: date, yearly_reset: bool) -> int:
    return on.year if yearly_reset else 0


def finalize_problems(doc: Document, profile: Profile) -> list[FieldError]:
    """What an issued invoice must carry (seller, buyer, date, lines, tax), by field."""
    missing: list[FieldError] = []

    def need(value: object, field: str, what: str) -> None:
        if value in (None, "", []):
            missing.append(FieldError(field=field, message=f"{what} is required to finalize"))

    need(profile.company_name, "profile.company_name", "the seller's name")
    need(profile.address.street, "profile.address.street", "the seller's street")
    need(profile.address.zip, "profile.address.zip", "the seller's postal code")
    need(profile.address.city, "profile.address.city", "the seller's city")
    need(profile.address.country, "profile.address.country", "the seller's country")
    need(profile.tax_number or profile.vat_id, "profile.vat_id", "the seller's VAT id or tax number")
    need(doc.client.name, "client.name", "the buyer's name")
    need(doc.client.address.street, "client.address.street", "the buyer's street")
    need(doc.client.address.zip, "client.address.zip", "the buyer's postal code")
    need(doc.client.address.city, "client.address.city", "the buyer's city")
    need(doc.client.address.country, "client.address.country", "the buyer's country")
    need(doc.lines, "lines", "at least one line")
    if doc.imported:
        need(doc.number, "number", "an imported document's own number")
    if doc.vat_regulation in VAT_ID_REGULATIONS:
        need(doc.client.vat_id, "client.vat_id", "the buyer's VAT id (for a zero-rated supply)")
        need(profile.vat_id, "profile.vat_id", "the seller's VAT id (for a zero-rated supply)")
    return missing


def finalize(doc: Document, seller: Seller, number: str, issue_date: date, now: datetime) -> Document:
    """Issue a draft: its number, its date, and the seller frozen as they are now."""
    issued = refresh(msgspec.structs.replace(doc, issue_date=issue_date))
    return msgspec.structs.replace(
        issued, status="open", number=number, seller=seller, finalized_at=now, updated_at=now, version=doc.version + 1,
        balance_due=issued.totals.gross if doc.type == "invoice" else None,
    )


def check_draft_patch(patch: DocumentPatch) -> None:
    """A draft is not sent by hand: it is issued first (finalize, or send which issues it)."""
    refused = [name for name in ("sent", "sent_date", "sent_notes") if getattr(patch, name) is not msgspec.UNSET]
    if refused:
        raise BillwireError(
            ErrorCode.INVALID_DOCUMENT_STATE, "A draft is not marked as sent; finalize it first (or send it, which issues it).",
            [FieldError(field=name, message="only an issued document is marked as sent") for name in refused],
        )


def ensure_draft(doc: Document) -> None:
    if doc.status != "draft":
        raise BillwireError(
            ErrorCode.DOCUMENT_FINALIZED,
            f"{doc.type} {doc.number} is finalized and cannot change; cancel it and issue a credit note instead.",
        )
