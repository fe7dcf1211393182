"""The offline parser over a corpus of English and German phrasings: at least 95 % exactly right.

Exactly right means the client, every line (description regardless of case, quantity, unit,
unit price), the currency, the tax rate, the payment term and, where the row gives them, the
service period, discount and VAT regulation. The failures are printed, so a drop shows which
phrasings broke and what the parser read instead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billwire_invoices.text.parser import parse_invoice_text
from billwire_shared.contracts.text import ParsedInvoice
from tests.unit.text.corpus import CORPUS_DE, CORPUS_EN, C

TODAY = date(2026, 11, 20)
CORPUS = CORPUS_EN + CORPUS_DE


def expected(row: C) -> dict:
    due_days = row.due if isinstance(row.due, int) else None
    due_date = date.fromisoformat(row.due) if isinstance(row.due, str) else None
    period = tuple(date.fromisoformat(d) for d in row.period.split("/")) if row.period else None
    return {
        "client": row.client,
        "lines": [(desc.casefold(), Decimal(qty), unit, Decimal(price)) for desc, qty, unit, price in row.lines],
        "currency": row.currency,
        "tax": None if row.tax is None else Decimal(row.tax),
        "due": (due_days, due_date),
        "period": period,
        "discount": None if row.discount is None else Decimal(row.discount),
        "vat": row.vat,
    }


def actual(parsed: ParsedInvoice) -> dict:
    period = (parsed.service_period.start, parsed.service_period.end) if parsed.service_period else None
    return {
        "client": parsed.client_name,
        "lines": [(ln.description.casefold(), ln.quantity, ln.unit, ln.unit_price) for ln in parsed.lines],
        "currency": parsed.currency,
        "tax": parsed.tax_rate,
        "due": (parsed.due_days, parsed.due_date),
        "period": period,
        "discount": parsed.discount_rate,
        "vat": parsed.vat_regulation,
    }


def differences(row: C) -> dict[str, tuple]:
    want, got = expected(row), actual(parse_invoice_text(row.text, today=TODAY))
    return {key: (want[key], got[key]) for key in want if want[key] != got[key]}


def test_the_corpus_is_large_and_in_both_languages() -> None:
    assert len(CORPUS) >= 300
    assert len(CORPUS_EN) >= 100 and len(CORPUS_DE) >= 100
    assert len({row.text for row in CORPUS}) == len(CORPUS), "a phrasing appears twice"


def test_the_parser_reads_at_least_95_percent_of_the_corpus_exactly() -> None:
    failures = [(row.text, diff) for row in CORPUS if (diff := differences(row))]
    for text, diff in failures:
        print(f"\n{text!r}")
        for key, (want, got) in diff.items():
            print(f"    {key}: expected {want!r}, got {got!r}")
    right = len(CORPUS) - len(failures)
    print(f"\n{right} of {len(CORPUS)} exactly right ({100 * right / len(CORPUS):.1f} %)")
    assert right >= 0.95 * len(CORPUS)
