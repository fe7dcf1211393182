"""Line amounts and totals to the cent, in the net layout (B2B: VAT added to the nets per rate)
and the gross layout (B2C: the gross line amounts are what is owed, the VAT is extracted from
their sum per rate). Pure Decimal arithmetic, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from billwire_shared.contracts.documents import Line, TaxAmount, Totals
from billwire_shared.money import HUNDRED, ZERO, percent_of, round_money

# Regulations under which no VAT is charged on any line: the lines carry 0 %.
ZERO_TAX_REGULATIONS = frozenset({"reverse_charge", "intra_community_supply", "export", "tax_exempt"})
# Of those, the ones that need both VAT ids on the document.
VAT_ID_REGULATIONS = frozenset({"reverse_charge", "intra_community_supply"})


def applied_rate(rate: Decimal, vat_regulation: str) -> Decimal:
    """The VAT rate a line is charged at under the document's regulation."""
    return ZERO if vat_regulation in ZERO_TAX_REGULATIONS else rate


def tax_in_gross(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The VAT contained in a gross amount at `rate`, rounded half-up to the currency."""
    return round_money(gross * rate / (HUNDRED + rate), currency)


def _less_discount(amount: Decimal, discount_rate: Decimal | None) -> Decimal:
    return amount - percent_of(amount, discount_rate) if discount_rate else amount


def price_lines(lines: list[Line], currency: str, layout: str = "net", vat_regulation: str = "standard") -> list[Line]:
    """Each line's applied rate and amounts. Net layout: net = quantity × unit price, less the line
    discount, rounded half-up. Gross layout: the same on the gross price gives the gross amount;
    the nets of one rate share the net of their gross sum, so they add up to it exactly."""
    lines = [msgspec.structs.replace(line, tax_rate=applied_rate(line.tax_rate, vat_regulation)) for line in lines]
    if layout != "gross":
        return [
            msgspec.structs.replace(
                line, gross_amount=None,
                gross_unit_price=line.gross_unit_price if line.price_basis == "gross" else None,
                net_amount=round_money(_less_discount(line.quantity * line.unit_price, line.discount_rate), currency),
            )
            for line in lines
        ]
    grossed = []
    for line in lines:
        if vat_regulation in ZERO_TAX_REGULATIONS:
            gross_price = line.unit_price  # no VAT is charged: the gross is the net
        elif line.price_basis == "gross" and line.gross_unit_price is not None:
            gross_price = line.gross_unit_price
        else:
            gross_price = round_money(line.unit_price + percent_of(line.unit_price, line.tax_rate), currency)
        gross_amount = round_money(_less_discount(line.quantity * gross_price, line.discount_rate), currency)
        grossed.append(msgspec.structs.replace(line, gross_unit_price=gross_price, gross_amount=gross_amount))
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for index, line in enumerate(grossed):
        by_rate[line.tax_rate.normalize()].append(index)
    for rate, indexes in by_rate.items():
        gross_sum = sum((grossed[i].gross_amount for i in indexes), ZERO)
        net_left = gross_sum - tax_in_gross(gross_sum, rate, currency)
        for i in indexes[:-1]:
            net = grossed[i].gross_amount - tax_in_gross(grossed[i].gross_amount, rate, currency)
            grossed[i] = msgspec.structs.replace(grossed[i], net_amount=net)
            net_left -= net
        grossed[indexes[-1]] = msgspec.structs.replace(grossed[indexes[-1]], net_amount=net_left)
    return grossed


def compute_totals(
    lines: Iterable[Line], currency: str, discount_rate: Decimal | None, vat_regulation: str, layout: str = "net"
) -> Totals:
    """Net layout: tax per rate on the sum of that rate's nets (EN 16931 style). Gross layout:
    the gross per rate is the sum of its gross line amounts, the tax is extracted from it and the
    net is what remains. Either way every total adds up to the cent."""
    nets: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    grosses: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        rate = applied_rate(line.tax_rate, vat_regulation).normalize()
        nets[rate] += line.net_amount
        grosses[rate] += line.gross_amount if line.gross_amount is not None else line.net_amount
    taxes = []
    for rate in sorted(nets):
        if layout == "gross":
            gross = grosses[rate]
            if discount_rate:
                gross -= round_money(percent_of(gross, discount_rate), currency)
            tax = tax_in_gross(gross, rate, currency)
            taxes.append(TaxAmount(rate=rate, net=gross - tax, tax=tax))
            continue
        net = nets[rate]
        if discount_rate:
            net -= round_money(percent_of(net, discount_rate), currency)
        taxes.append(TaxAmount(rate=rate, net=net, tax=round_money(percent_of(net, rate), currency)))
    zero = round_money(ZERO, currency)
    lines_net = sum(nets.values(), zero)
    net = sum((t.net for t in taxes), zero)
    tax = sum((t.tax for t in taxes), zero)
    return Totals(
        lines_net=lines_net, discount=lines_net - net, net=net, taxes=taxes, tax=tax, gross=net + tax
    )
