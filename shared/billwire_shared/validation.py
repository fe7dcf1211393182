"""Checks that need more than types: ISO codes, e-mail, IBAN, VAT ID and tax number syntax and
checksums, shared by every service."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial

import pycountry
from email_validator import EmailNotValidError, validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberInvalid

from billwire_shared.money import is_currency

LANGUAGES = frozenset({"de", "en"})
# What ends a line for Python's `str.splitlines` (and so for its e-mail package, which refuses
# such a header value when it writes the message), and NUL: never in an e-mail header.
HEADER_BREAKS = {
    "\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\x00": "a NUL character", "\x0b": "a vertical tab",
    "\x0c": "a form feed", "\x1c": "a file separator", "\x1d": "a group separator", "\x1e": "a record separator",
    "\x85": "a next-line character (NEL)", "\u2028": "a line separator", "\u2029": "a paragraph separator",
}


def header_break(value: str) -> str | None:
    """What in `value` would break an e-mail header (see HEADER_BREAKS), if anything."""
    return next((what for char, what in HEADER_BREAKS.items() if char in value), None)


@cache
def is_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


def _refusal(check: Callable[[str], object], errors: type[Exception], value: str, label: str = "") -> str | None:
    """Why `check` refused `value` (the library's own words, after `label`), or None."""
    try:
        check(value)
    except errors as exc:
        return f"{label}{exc}"
    return None


def email_problem(value: str) -> str | None:
    return _refusal(partial(validate_email, check_deliverability=False), EmailNotValidError, value)


def iban_problem(value: str) -> str | None:
    return _refusal(IBAN, SchwiftyException, value, "invalid IBAN: ")


def bic_problem(value: str) -> str | None:
    return _refusal(BIC, SchwiftyException, value, "invalid BIC: ")


def currency_problem(value: str) -> str | None:
    return None if is_currency(value) else f"unknown ISO 4217 currency code {value!r}"


def country_problem(value: str) -> str | None:
    return None if is_country(value) else f"unknown ISO 3166 alpha-2 country code {value!r}"


def language_problem(value: str) -> str | None:
    return None if value in LANGUAGES else f"unsupported language {value!r} (use one of de, en)"


# An EU VAT ID says its country in its prefix (EL: Greece, XI: Northern Ireland); others are
# checked by the country of the address they go with. Tax numbers where python-stdnum knows the
# national business tax number; elsewhere only their characters.
EU_VAT_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL", "XI"}
TAX_NUMBER_MODULES = {"DE": "stnr", "AT": "tin"}
_IDENTIFIER = re.compile(r"[A-Za-z0-9 ./-]+")


def _number_problem(module: object, value: str, what: str) -> str | None:
    try:
        module.validate(value)  # type: ignore[attr-defined]
    except NumberInvalid as exc:
        return f"invalid {what}: {exc}"
    return None


def vat_id_problem(value: str, country: str | None = None) -> str | None:
    """Why `value` is no valid VAT ID (by its EU prefix, else the address's country), or None."""
    if not _IDENTIFIER.fullmatch(value):
        return "a VAT ID has only letters, digits, spaces, dots, slashes and dashes"
    prefix = value.strip()[:2].upper()
    module = eu_vat if prefix in EU_VAT_PREFIXES else get_cc_module(country.lower(), "vat") if country else None
    return _number_problem(module, value, "VAT ID") if module is not None else None


def tax_number_problem(value: str, country: str | None = None) -> str | None:
    if not _IDENTIFIER.fullmatch(value):
        return "a tax number has only letters, digits, spaces, dots, slashes and dashes"
    name = TAX_NUMBER_MODULES.get((country or "").upper())
    module = get_cc_module(country.lower(), name) if country and name else None
    return _number_problem(module, value, "tax number") if module is not None else None
