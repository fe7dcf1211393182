"""Number patterns and what a document must carry before it is issued."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from uuid import uuid4

import pytest

from billwire_invoices.documents import rules as domain
from billwire_shared.contracts.accounts import Profile, seller_of
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.common import Address
from billwire_shared.contracts.documents import Document


@pytest.mark.parametrize(
    ("pattern", "sequence", "expected"),
    [
        ("INV-{YYYY}-{SEQ:4}", 1, "INV-2026-0001"),
        ("INV-{YYYY}-{SEQ:4}", 12345, "INV-2026-12345"),
        ("R{YY}{MM}-{SEQ:3}", 7, "R2603-007"),
        ("{SEQ}", 42, "42"),
        ("A/{YYYY}/{MM}/{DD}/{SEQ:2}", 5, "A/2026/03/09/05"),
    ],
)
def test_format_number(pattern: str, sequence: int, expected: str) -> None:
    assert domain.format_number(pattern, sequence, date(2026, 3, 9)) == expected


@pytest.mark.parametrize("pattern", ["INV-{YYYY}", "INV-{SEQ:4}-{FOO}", "{SEQ:4"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    assert domain.pattern_problem(pattern) is not None


def test_yearly_reset_keys_the_series_by_year() -> None:
    assert domain.series_period(date(2026, 12, 31), True) == 2026
    assert domain.series_period(date(2027, 1, 1), True) == 2027
    assert domain.series_period(date(2027, 1, 1), False) == 0


def draft(client: ClientSnapshot, **changes) -> Document:
    now = datetime.now(UTC)
    doc = Document(
        id=uuid4(), type="invoice", status="draft", number=None, client_id=None, client=client, currency="EUR",
        issue_date=None, service_date=None, service_period=None, due_date=None, due_days=14, introduction=None,
        notes=None, discount_rate=None, vat_regulation="standard", lines=[],
        totals=domain.compute_totals([], "EUR", None, "standard"), version=1, created_at=now, updated_at=now,
    )
    return domain.refresh(Document(**{**{f: getattr(doc, f) for f in doc.__struct_fields__}, **changes}))


def test_finalize_names_every_missing_field() -> None:
    missing = domain.finalize_problems(draft(ClientSnapshot(name="Globex")), Profile())
    fields = {m.field for m in missing}
    assert {
        "profile.company_name", "profile.address.street", "profile.address.zip", "profile.address.city",
        "profile.address.country", "profile.vat_id", "client.address.street", "client.address.zip",
        "client.address.city", "client.address.country", "lines",
    } <= fields


def test_reverse_charge_needs_both_vat_ids() -> None:
    profile = Profile(company_name="Acme", tax_number="12/345/67890",
                      address=Address(street="A 1", zip="1", city="B", country="DE"))
    buyer = ClientSnapshot(name="Globex", address=Address(street="M 5", zip="2", city="S", country="FR"))
    missing = {m.field for m in domain.finalize_problems(draft(buyer, vat_regulation="reverse_charge"), profile)}
    assert {"client.vat_id", "profile.vat_id"} <= missing


def test_finalize_sets_number_date_status_and_due_date() -> None:
    doc = draft(ClientSnapshot(name="Globex"))
    now = datetime.now(UTC)
    issued = domain.finalize(doc, seller_of(Profile(company_name="Acme")), "INV-2026-0001", date(2026, 3, 1), now)
    assert (issued.status, issued.number, issued.issue_date) == ("open", "INV-2026-0001", date(2026, 3, 1))
    assert issued.due_date == date(2026, 3, 15) and issued.version == doc.version + 1
    assert issued.totals.gross == D("0") and issued.seller.company_name == "Acme"
