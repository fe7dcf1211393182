"""A discount on the whole invoice: "less 10% discount", "5 % Nachlass", "10 percent off".

Early-payment terms (Skonto, "2% if paid within 10 days") are not a discount on the invoice and
are left for the rest of the parser to report.
"""

from __future__ import annotations

import re
from decimal import Decimal

from billwire_invoices.text.parser.lexicon import NUM
from billwire_invoices.text.parser.numbers import parse_number
from billwire_invoices.text.parser.scan import Reading

I = re.IGNORECASE

def _rate(name: str) -> str:
    return rf"(?P<{name}>{NUM})\s*(?:%|percent|per\s*cent|prozent)"


_LEAD = (
    r"(?:(?:with|mit|less|minus|abzüglich|abzgl\.?|apply(?:ing)?|gewähren?|wir\s+gewähren|give\s+(?:them|him|her|the\s+client)"
    r"|including|inkl\.?|incl\.?|and|und|plus|at)\s+(?:an?\s+|einen?\s+)?)?"
)
_WORD = r"(?:discount|rabatt|nachlass|preisnachlass|reduction|off)"
DISCOUNT = re.compile(
    rf"{_LEAD}{_rate('a')}\s+(?:[a-zäöüß\-]+\s+)?{_WORD}(?![\wäöüß])"
    rf"|{_LEAD}(?:{_WORD})\s*(?:of|von|:)?\s*{_rate('b')}",
    I,
)


def read_discount(reading: Reading) -> None:
    for m in reading.scan.matches(DISCOUNT):
        rate, note = parse_number(m.group("a") or m.group("b"), reading.language, percent=True)
        if note:
            reading.note(note)
        if not Decimal(0) < rate < Decimal(100):
            reading.reject(m.start(), m.end(), "a discount must be more than 0% and less than 100%")
        elif reading.discount_rate is not None and reading.discount_rate != rate:
            reading.reject(m.start(), m.end(), "a second, different discount")
        else:
            reading.discount_rate = rate
            reading.scan.take(m.start(), m.end())
