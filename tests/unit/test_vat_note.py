"""The VAT note says which rate each line got and why, and warns when the account's domestic
default went to a client in another country."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from billwire_invoices.documents.vat import vat_note
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.common import Address
from billwire_shared.contracts.documents import Line, LineInput

PROFILE = Profile(company_name="Seller GmbH", address=Address(country="DE"))


def line(position: int, rate: str, product: bool = False) -> Line:
    return Line(position=position, description="x", quantity=Decimal(1), unit=None, unit_price=Decimal(1), tax_rate=Decimal(rate),
                discount_rate=None, product_id=uuid4() if product else None, net_amount=Decimal(1))


def test_each_rate_is_named_with_its_source() -> None:
    product = uuid4()
    inputs = [LineInput(unit_price=Decimal(1)), LineInput(tax_rate=Decimal("7"), unit_price=Decimal(1)), LineInput(product_id=product)]
    note = vat_note(inputs, [line(1, "19"), line(2, "7"), line(3, "19", True)], PROFILE, "DE", "standard")
    assert note == "19 % on line 1: the account's default rate; 7 % on line 2: given on the line; 19 % on line 3: the product's rate."


def test_the_domestic_default_for_a_client_abroad_is_never_silent() -> None:
    inputs = [LineInput(unit_price=Decimal(1))]
    in_eu = vat_note(inputs, [line(1, "19")], PROFILE, "FR", "standard")
    assert "The client is in FR, not in the seller's country DE" in in_eu and "reverse_charge" in in_eu
    outside = vat_note(inputs, [line(1, "19")], PROFILE, "US", "standard")
    assert "outside the EU" in outside and "export" in outside
    given = vat_note([LineInput(tax_rate=Decimal("19"), unit_price=Decimal(1))], [line(1, "19")], PROFILE, "US", "standard")
    assert "The client is in" not in given  # a rate the agent chose is its own statement
    assert vat_note(inputs, [line(1, "0")], PROFILE, "FR", "reverse_charge").startswith("0 % on every line: vat_regulation reverse_charge")
    assert vat_note([], [], PROFILE, "FR", "standard") is None
