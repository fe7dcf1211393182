"""The words the parser knows, in English and German, and the regex pieces built from them."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from babel.dates import get_month_names

# A number as people write it: 150, 1.5, 1,5, 4,000, 4.000, 1.234,56, $4,000.50, 1'234.50.
NUM = r"(?<![\w.,])(?:\d{1,3}(?:[.,'\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?)(?:[.,]\s?[-–](?!\d))?(?![.,]?\d)"

NUMBER_WORDS: dict[str, Decimal] = {
    "a": Decimal(1), "an": Decimal(1), "one": Decimal(1), "two": Decimal(2), "three": Decimal(3), "four": Decimal(4),
    "five": Decimal(5), "six": Decimal(6), "seven": Decimal(7), "eight": Decimal(8), "nine": Decimal(9),
    "ten": Decimal(10), "eleven": Decimal(11), "twelve": Decimal(12), "half a": Decimal("0.5"), "half": Decimal("0.5"),
    "a half": Decimal("0.5"), "one and a half": Decimal("1.5"),
    "ein": Decimal(1), "eine": Decimal(1), "einen": Decimal(1), "einem": Decimal(1), "zwei": Decimal(2),
    "drei": Decimal(3), "vier": Decimal(4), "fünf": Decimal(5), "sechs": Decimal(6), "sieben": Decimal(7),
    "acht": Decimal(8), "neun": Decimal(9), "zehn": Decimal(10), "elf": Decimal(11), "zwölf": Decimal(12),
    "einen halben": Decimal("0.5"), "ein halber": Decimal("0.5"), "einen halber": Decimal("0.5"), "halben": Decimal("0.5"),
    "halber": Decimal("0.5"), "anderthalb": Decimal("1.5"), "eineinhalb": Decimal("1.5"),
}
_WORDS_BY_LENGTH = sorted(NUMBER_WORDS, key=len, reverse=True)
NUMWORD = r"(?:" + "|".join(re.escape(w) for w in _WORDS_BY_LENGTH) + r")"

# unit -> the words for it (regex alternatives, matched case-insensitively, longest first)
UNIT_WORDS: dict[str, list[str]] = {
    "hour": [r"hours?", r"hrs?\.?", r"h", r"std\.?", r"stunden?", r"[a-zäöüß]{3,}stunden?"],
    "day": [r"days?", r"tage?n?", r"tag", r"pt", r"[a-zäöüß]{3,}tage?n?"],
    "week": [r"weeks?", r"wks?\.?", r"wochen?"],
    "month": [r"months?", r"mos?\.", r"monate?n?", r"monats?"],
    "piece": [r"pieces?", r"pcs?\.?", r"units?", r"items?", r"stück", r"stk\.?", r"x", r"×", r"mal"],
    "word": [r"words?", r"wörtern?", r"wort"],
    "minute": [r"minutes?", r"mins?\.?", r"minuten?"],
}
# Quantities in minutes are billed in hours ("45 minutes at 120 EUR/h" is 0.75 h).
MINUTES_PER_UNIT = {"minute": ("hour", 60)}
# What a price may be quoted per and that counts pieces, but is the item itself after a number
# ("5 licences at EUR 49 per licence"): only in "per ..." / "/...".
PER_PIECE = r"(?:seats?|licen[cs]es?|lizenzen|lizenz|users?|nutzer|copies|copy|exemplare?|accounts?|books?|tickets?)"
UNIT = r"(?:" + "|".join(w for words in UNIT_WORDS.values() for w in words) + r")"
# "hourly rate", "Tagessatz": the unit a rate is quoted in.
RATE_ADJECTIVES: dict[str, str] = {
    "hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month", "stündlich": "hour",
    "täglich": "day", "wöchentlich": "week", "monatlich": "month", "stundensatz": "hour", "stundenlohn": "hour",
    "stundenpreis": "hour", "tagessatz": "day", "tagespreis": "day", "wochensatz": "week", "monatssatz": "month",
    "monatspauschale": "month", "monatsrate": "month", "monatlichen": "month", "wöchentlichen": "week",
    "täglichen": "day", "stündlichen": "hour", "day rate": "day", "day-rate": "day", "hour rate": "hour",
    "daily rate": "day", "hourly rate": "hour",
}
FLAT_WORDS = r"(?:flat[\s-]+fee|flat[\s-]+rate|flat|lump[\s-]+sum|fixed[\s-]+(?:price|fee)|one[\s-]+off(?:\s+fee)?|pauschale|pauschal|pauschalpreis|festpreis|fixpreis)"

_UNIT_PATTERNS = [(unit, re.compile(r"^(?:" + "|".join(words) + r")$", re.IGNORECASE)) for unit, words in UNIT_WORDS.items()]


def unit_of(word: str) -> str | None:
    """The unit a word names ("Std." -> hour), or None."""
    for unit, pattern in _UNIT_PATTERNS:
        if pattern.match(word.strip()):
            return unit
    return None


# How a unit shows on the document, per document language.
UNIT_LABELS: dict[str, dict[str, str | None]] = {
    "en": {"hour": "h", "day": "day", "week": "week", "month": "month", "piece": "pc", "word": "word", "flat": None},
    "de": {"hour": "Std.", "day": "Tag", "week": "Woche", "month": "Monat", "piece": "Stk.", "word": "Wort", "flat": None},
}

# Currencies: symbols, common codes and words.
CURRENCY_SYMBOLS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "Fr.": "CHF", "₹": "INR"}
CURRENCY_CODES = (
    "EUR USD GBP CHF JPY CAD AUD NZD SEK NOK DKK PLN CZK HUF CNY INR BRL MXN ZAR SGD HKD TRY ISK RON BGN".split()
)
CURRENCY_WORDS = {
    "euro": "EUR", "euros": "EUR", "eur": "EUR", "dollar": "USD", "dollars": "USD", "us dollars": "USD",
    "pound": "GBP", "pounds": "GBP", "pounds sterling": "GBP", "pfund": "GBP", "franken": "CHF", "swiss francs": "CHF",
    "francs": "CHF", "yen": "JPY",
}
CUR_SYM = r"(?:US\$|\$|€|£|¥|₹)"
CUR_CODE = r"(?:" + "|".join(CURRENCY_CODES) + r")(?![A-Za-z])"
CUR_WORD = r"(?i:" + "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True)) + r")(?![a-zäöü])"
CUR_AFTER = r"(?:" + CUR_SYM + "|" + CUR_CODE + "|" + CUR_WORD + r"|Fr\.)"


def currency_of(token: str) -> str:
    token = token.strip()
    if token in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[token]
    if token.upper() in CURRENCY_CODES:
        return token.upper()
    return CURRENCY_WORDS[token.lower()]


@cache
def month_names() -> dict[str, int]:
    """Month names and abbreviations in English and German (from the CLDR, via babel)."""
    names: dict[str, int] = {}
    for locale in ("en", "de"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context=context, locale=locale).items():
                    names[name.rstrip(".").lower()] = number
    names.update({"mrz": 3, "maerz": 3, "sept": 9})
    return names


MONTH = r"(?:" + "|".join(sorted(month_names(), key=len, reverse=True)) + r")\.?(?![a-zäöü])"

GERMAN_MARKERS = frozenset(
    "und für zu pro stunden stunde std tage tagen tag woche wochen monat monate fällig zahlbar zzgl zuzüglich mwst "
    "rechnung die der das den dem mit bis am im vom zum zur inkl netto brutto leistungszeitraum je stück stk "
    "beratung entwicklung pauschal pauschale kunde innerhalb binnen nach sowie ust umsatzsteuer bitte erstelle"
    .split()
)
ENGLISH_MARKERS = frozenset(
    "and for at per hour hours day days week weeks month months due payable plus vat tax invoice bill to the of "
    "with by on within net each flat fee rate our please client customer including incl from until".split()
)

# Words that carry no content of their own: what is left of a sentence after the parts are taken.
FILLER = frozenset(
    "a an the and or of at for to in on by with our my your please create make draft write new invoice bill charge hey "
    "send an also plus total each per as well it is are be this that hi hello thanks thank you "
    "und oder von für zu an am im in mit bitte erstelle erstellen eine einen ein neue neuen rechnung rechnungen "
    "schreibe schreib schreiben stellen ausstellen schicken senden die der das den dem des sowie auch plus zzgl insgesamt je pro einmal bzw ca à über zum zur x × "
    "client customer kunde kundin firma rate satz also außerdem zusätzlich additionally besides dazu ferner weiters".split()
)

ABBREVIATIONS = frozenset(
    "std stk st corp inc co ltd zzgl inkl incl excl exkl ca bzw nr hrs pcs approx mr mrs ms dr vs e.k mwst ust zuzgl "
    "jan feb mar apr jun jul aug sep sept oct okt nov dec dez fr etc".split()
)
COMPANY_SUFFIXES = (
    "GmbH & Co. KG", "GmbH & Co KG", "& Co. KG", "& Co KG", "Co. KG", "GmbH", "gGmbH", "mbH", "AG", "KG", "OHG", "GbR", "UG", "e.K.", "e.V.", "SE",
    "Corp.", "Corp", "Corporation", "Inc.", "Inc", "Ltd.", "Ltd", "LLC", "LLP", "PLC", "plc", "Co.", "Company",
    "S.A.", "SA", "SARL", "S.r.l.", "B.V.", "BV", "N.V.", "AB", "ApS", "AS", "Oy", "Pty Ltd", "Limited", "Group",
)
SUFFIX = r"(?:" + "|".join(re.escape(s) for s in sorted(COMPANY_SUFFIXES, key=len, reverse=True)) + r")(?![\w])"
