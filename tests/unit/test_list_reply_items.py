"""A list page's documents as kept encoded (documents/encoded.py): the same bytes as encoding the
decoded Documents, states as of today, from stored JSON in any key order and spacing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from uuid import uuid4

import msgspec

from billwire_invoices.documents import encoded
from billwire_invoices.documents import rules as domain
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.common import Address, Page
from billwire_shared.contracts.documents import Document, Line

ODD_TEXT = 'Tab\there "quoted" back\\slash / ü ß 😀 \u2028 line\nnext \u0001\u001f\u007f <>&'


def stored(doc: Document) -> str:
    """The document as `data::text` gives it: jsonb's own key order and spacing, not msgspec's."""
    return json.dumps(json.loads(msgspec.json.encode(doc)), sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def invoice(due: date | None = None, **fields) -> Document:
    now = datetime.now(UTC)
    lines = [
        Line(position=1, description=ODD_TEXT, quantity=D("1.5"), unit="h", unit_price=D("0.0000001"), tax_rate=D("7"),
             discount_rate=D("12.5"), product_id=None, net_amount=D(0)),
        Line(position=2, description="gross", quantity=D("3"), unit=None, unit_price=D("100.83"), tax_rate=D("19"),
             discount_rate=None, product_id=uuid4(), net_amount=D(0), price_basis="gross", gross_unit_price=D("119.99")),
    ]
    doc = Document(
        id=uuid4(), type="invoice", status="open", number="INV-2026-0042", client_id=uuid4(),
        client=ClientSnapshot(name="Stadt Köln", address=Address(city="Köln", country="DE")), currency="EUR",
        issue_date=date(2026, 11, 2), service_date=None, service_period=None, due_date=None, due_days=14,
        introduction=None, notes=ODD_TEXT, discount_rate=None, vat_regulation="standard", lines=lines,
        totals=domain.compute_totals([], "EUR", None, "standard"), version=2, created_at=now, updated_at=now,
    )
    doc = domain.refresh(msgspec.structs.replace(doc, **fields))
    return msgspec.structs.replace(doc, due_date=due) if due else doc


def test_a_page_of_kept_documents_is_the_page_of_documents_byte_for_byte() -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    docs = [invoice(), invoice(status="draft", number=None), invoice(due=yesterday, amount_paid=D("10.00"))]
    texts = [stored(doc) for doc in docs]
    assert texts[0] != msgspec.json.encode(docs[0]).decode()  # stored otherwise than msgspec writes it

    expected = msgspec.json.encode(Page(items=[encoded.decoded(text) for text in texts], total=3, limit=100, offset=0))
    for _ in range(2):  # made, then kept
        assert msgspec.json.encode(Page(items=encoded.reply_items(texts), total=3, limit=100, offset=0)) == expected


def test_states_derived_from_the_date_are_todays() -> None:
    overdue_since_yesterday = stored(invoice(due=datetime.now(UTC).date() - timedelta(days=1)))
    [item] = encoded.reply_items([overdue_since_yesterday])
    assert msgspec.json.decode(item)["states"] == ["open", "unpaid", "overdue"]
    [due_today] = encoded.reply_items([stored(invoice(due=datetime.now(UTC).date()))])
    assert msgspec.json.decode(due_today)["states"] == ["open", "unpaid"]
