"""Money with Decimal: currencies, minor units and half-up rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

ZERO = Decimal("0")
HUNDRED = Decimal("100")
PRICE_PLACES = 8  # unit prices keep enough places for a gross price to round-trip


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in known_currencies()


@cache
def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def round_price(amount: Decimal) -> Decimal:
    """Keep up to PRICE_PLACES decimals, without trailing zeros or exponent notation."""
    rounded = amount.quantize(Decimal(1).scaleb(-PRICE_PLACES), rounding=ROUND_HALF_UP)
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral() else rounded.normalize()


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    return amount * rate / HUNDRED


def net_from_gross(gross: Decimal, tax_rate: Decimal) -> Decimal:
    """The net price whose gross, at `tax_rate`, rounds back to `gross`."""
    return round_price(gross * HUNDRED / (HUNDRED + tax_rate))
