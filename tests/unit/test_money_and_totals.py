"""Totals with Decimal: line amounts, tax per rate on the sum of nets, discounts, rounding."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from billwire_invoices.documents import rules as domain
from billwire_shared.contracts.documents import Line
from billwire_shared.money import net_from_gross, round_money, round_price


def line(quantity: str, price: str, rate: str = "19", discount: str | None = None) -> Line:
    return Line(
        position=1, description="x", quantity=D(quantity), unit=None, unit_price=D(price), tax_rate=D(rate),
        discount_rate=D(discount) if discount else None, product_id=None, net_amount=D(0),
    )


def totals(lines: list[Line], currency: str = "EUR", discount: str | None = None, regulation: str = "standard"):
    priced = domain.price_lines(lines, currency)
    return priced, domain.compute_totals(priced, currency, D(discount) if discount else None, regulation)


def test_rounding_is_half_up_to_the_minor_unit() -> None:
    assert round_money(D("0.125"), "EUR") == D("0.13")
    assert round_money(D("0.135"), "EUR") == D("0.14")
    assert round_money(D("2.5"), "JPY") == D("3")
    assert round_money(D("1.0005"), "KWD") == D("1.001")


def test_tax_is_computed_per_rate_on_the_sum_of_nets_not_per_line() -> None:
    # Three lines of 0.05 at 19%: per line the tax would round to 0.01 each (0.03 in all);
    # on the sum (0.15) it is 0.0285 -> 0.03. With 0.04 lines: 3 x 0.01 = 0.03 vs 0.12 -> 0.02.
    _, result = totals([line("1", "0.04"), line("1", "0.04"), line("1", "0.04")])
    assert result.net == D("0.12") and result.tax == D("0.02") and result.gross == D("0.14")


def test_several_rates_add_up() -> None:
    priced, result = totals([line("10", "150"), line("2", "19.99", "7"), line("3", "0.333", "0")])
    assert [p.net_amount for p in priced] == [D("1500.00"), D("39.98"), D("1.00")]
    assert [(t.rate, t.net, t.tax) for t in result.taxes] == [
        (D("0"), D("1.00"), D("0.00")), (D("7"), D("39.98"), D("2.80")), (D("19"), D("1500.00"), D("285.00")),
    ]
    assert result.net == sum(t.net for t in result.taxes)
    assert result.gross == result.net + result.tax == D("1828.78")


def test_line_and_document_discounts() -> None:
    priced, result = totals([line("3", "33.33", discount="10")], discount="5")
    assert priced[0].net_amount == D("89.99")  # 99.99 - 9.999 = 89.991
    assert result.lines_net == D("89.99")
    assert result.discount == D("4.50")  # 5 % of 89.99 = 4.4995 -> 4.50
    assert result.net == D("85.49") and result.tax == D("16.24") and result.gross == D("101.73")


@pytest.mark.parametrize("regulation", ["reverse_charge", "intra_community_supply"])
def test_zero_rated_supplies_carry_no_tax(regulation: str) -> None:
    _, result = totals([line("1", "1000", "19")], regulation=regulation)
    assert result.tax == D("0") and result.gross == D("1000.00")
    assert [t.rate for t in result.taxes] == [D("0")]


def test_currency_without_minor_unit() -> None:
    priced, result = totals([line("3", "333.5")], currency="JPY")
    assert priced[0].net_amount == D("1001")  # 1000.5 rounds half up
    assert result.tax == D("190")


@pytest.mark.parametrize("rate", ["19", "7", "20", "5.5", "0"])
def test_a_gross_unit_price_lands_within_a_cent_of_itself(rate: str) -> None:
    """A product priced gross is stored as net (8 places); invoicing one unit gives that gross
    back, except where no cent-rounded net can reach it (0.22 at 19 %: 0.18 → 0.21, 0.19 → 0.23)."""
    exact = 0
    for cents in range(1, 20_001, 7):
        gross = D(cents) / 100
        _, result = totals([line("1", str(net_from_gross(gross, D(rate))), rate)])
        assert abs(result.gross - gross) <= D("0.01"), (gross, rate)
        exact += result.gross == gross
    assert exact / len(range(1, 20_001, 7)) > (0.99 if rate == "0" else 0.80)


@pytest.mark.parametrize(("gross", "quantity"), [("119.00", "1"), ("119.00", "3"), ("59.50", "2"), ("1190.00", "10")])
def test_common_gross_prices_round_trip_exactly(gross: str, quantity: str) -> None:
    _, result = totals([line(quantity, str(net_from_gross(D(gross), D("19"))))])
    assert result.gross == D(gross) * D(quantity)


def test_prices_keep_their_places_without_exponents() -> None:
    assert str(round_price(D("1.5E+2"))) == "150"
    assert str(round_price(D("19.990"))) == "19.99"
    assert str(round_price(D("84.033613445378"))) == "84.03361345"
