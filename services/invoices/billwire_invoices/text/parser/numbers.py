"""Numbers and amounts as people write them, in English and German notation (parsed with babel)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal

from billwire_invoices.text.parser.lexicon import NUMBER_WORDS

_DASH_SUFFIX = re.compile(r"[.,]\s?[-–]$")
_GROUPING = re.compile(r"^\d{1,3}([.,])\d{3}$")


def parse_number(raw: str, language: str = "en", *, percent: bool = False) -> tuple[Decimal, str | None]:
    """The value of a written number, and a note when the notation had to be assumed.

    "1.234,56" and "4,000.50" are unambiguous; "4,000" and "4.000" are read by the text's
    language ("4.000" in German is four thousand), noted as an assumption where a reader
    of the other language would disagree.
    """
    text = _DASH_SUFFIX.sub("", raw.strip()).replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    if text.lower() in NUMBER_WORDS:
        return NUMBER_WORDS[text.lower()], None
    grouped = None if percent else _GROUPING.match(text)
    if grouped:
        # "4,000" / "4.000": three digits after one separator read as thousands in either
        # notation; noted where the text's own language would read a decimal point.
        value = Decimal(text.replace(",", "").replace(".", ""))
        decimal_mark = "," if language == "de" else "."
        note = f"read {raw.strip()!r} as {value} (thousands separator)" if grouped.group(1) == decimal_mark else None
        return value, note
    for locale in (language, "de" if language == "en" else "en"):
        value = _parse(text, locale)
        if value is not None:
            return value, None
    raise ValueError(f"not a number: {raw!r}")


def _parse(text: str, locale: str) -> Decimal | None:
    try:
        return parse_decimal(text, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation):
        return None
