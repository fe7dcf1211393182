"""Documents to render in tests (and the bench): built as the invoices service would send them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from billwire_shared.contracts.accounts import BankAccount, Seller
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.common import Address, Period
from billwire_shared.contracts.documents import Document, DocumentRef, Line, TaxAmount, Totals
from billwire_shared.contracts.rendering import Logo, RenderInput
from billwire_shared.ids import new_id
from billwire_shared.money import round_money

SELLER = Seller(
    company_name="Acme Consulting GmbH",
    address=Address(street="Hauptstraße 1", zip="10115", city="Berlin", country="DE"),
    email="billing@acme.example", phone="+49 30 1234567", tax_number="27/123/45678", vat_id="DE136695976",
    bank=BankAccount(account_holder="Acme Consulting GmbH", iban="DE89370400440532013000", bic="COBADEFFXXX"),
    legal_footer="Amtsgericht Berlin-Charlottenburg HRB 123456 · Geschäftsführerin: Erika Mustermann",
)
BUYER = ClientSnapshot(
    name="Globex Corporation", email="ap@globex.example", client_number="K-1042",
    address=Address(street="Main Street 5", zip="62704", city="Springfield", state="IL", country="US"),
)


def make_lines(specs: list[tuple[str, str, str | None, str, str]]) -> list[Line]:
    """(description, quantity, unit, unit price, tax rate) -> lines with net amounts."""
    return [
        Line(position=i, description=desc, quantity=Decimal(qty), unit=unit, unit_price=Decimal(price),
             tax_rate=Decimal(rate), discount_rate=None, product_id=None,
             net_amount=round_money(Decimal(qty) * Decimal(price), "EUR"))
        for i, (desc, qty, unit, price, rate) in enumerate(specs, start=1)
    ]


def totals_of(lines: list[Line], currency: str = "EUR") -> Totals:
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, Decimal(0)) + line.net_amount
    taxes = [TaxAmount(rate=r, net=n, tax=round_money(n * r / 100, currency)) for r, n in sorted(by_rate.items())]
    net = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((t.tax for t in taxes), Decimal(0))
    return Totals(lines_net=net, discount=Decimal("0.00"), net=net, taxes=taxes, tax=tax, gross=net + tax)


DEFAULT_LINES = [
    ("Consulting: architecture review", "10", "h", "150.00", "19"),
    ("Handbook \"Billing done right\"", "2", "pcs", "19.99", "7"),
    ("Workshop travel, flat rate", "1", None, "320.00", "19"),
]


def make_document(
    *, type: str = "invoice", status: str = "open", language: str = "en", number: str | None = "INV-2026-0001",
    lines: list[Line] | None = None, client: ClientSnapshot = BUYER, introduction: str | None = None,
    notes: str | None = None, vat_regulation: str = "standard", preceding: DocumentRef | None = None,
    document_id: UUID | None = None, version: int = 2,
) -> Document:
    lines = lines if lines is not None else make_lines(DEFAULT_LINES)
    now = datetime.now(UTC)
    return Document(
        id=document_id or new_id(), type=type, status=status, number=number, client_id=new_id(), client=client,
        currency="EUR", issue_date=date(2026, 10, 31), service_date=None,
        service_period=Period(start=date(2026, 10, 1), end=date(2026, 10, 31)), due_date=date(2026, 11, 14),
        due_days=14, introduction=introduction, notes=notes, discount_rate=None, vat_regulation=vat_regulation,
        lines=lines, totals=totals_of(lines), language=language, seller=SELLER, preceding=preceding,
        version=version, created_at=now, updated_at=now, finalized_at=None if status == "draft" else now,
    )  # type: ignore[arg-type]


LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64">'
    b'<rect x="0" y="8" width="48" height="48" rx="10" fill="#0f2a4a"/>'
    b'<path d="M12 40 L24 18 L36 40 Z" fill="#f5b700"/>'
    b'<text x="60" y="42" font-family="Inter, sans-serif" font-size="28" font-weight="700" fill="#0f2a4a">ACME</text>'
    b"</svg>"
)


def make_input(doc: Document | None = None, logo: bool = True, **kwargs) -> RenderInput:
    import hashlib

    doc = doc or make_document(**kwargs)
    logo_value = Logo(media_type="image/svg+xml", data=LOGO_SVG, sha256=hashlib.sha256(LOGO_SVG).hexdigest()) if logo else None
    return RenderInput(document=doc, seller=doc.seller or SELLER, logo=logo_value)
