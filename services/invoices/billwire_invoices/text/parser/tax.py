"""Tax as people write it: "plus 19% VAT", "zzgl. 19 % MwSt.", "incl. VAT", "reverse charge"."""

from __future__ import annotations

import re
from decimal import Decimal

from billwire_invoices.text.parser.lexicon import NUM
from billwire_invoices.text.parser.numbers import parse_number
from billwire_invoices.text.parser.scan import Reading

I = re.IGNORECASE

_KIND = r"(?:(?:gesetzl(?:\.|iche[nr]?)?\s*|statutory\s+|applicable\s+)?(?:vat|v\.a\.t\.|sales\s+tax|tax|mwst\.?|mehrwertsteuer|ust\.?|umsatzsteuer|gst|iva|tva)(?![a-zäöü]))"
def _percent(k: int) -> str:
    return rf"(?P<rate{k}>{NUM})\s*(?:%|percent|per\s*cent|prozent)"

_LEAD = r"(?:(?P<lead>plus|\+|add(?:ing)?|with|mit|zzgl\.?|zuzgl\.?|zuzüglich|inkl\.?|incl\.?|including|inklusive|included|excl\.?|excluding|exkl\.?|exklusive|net\s+of|before|vor|at|zu|bei)\s*)?"
TAX = re.compile(
    rf"(?:(?P<paren>\()\s*)?{_LEAD}(?:(?:{_percent(1)})\s*(?:{_KIND})|(?:{_KIND})\s*(?:of|von|:|at)?\s*(?:\((?=\s*{NUM}\s*%\s*\)))?\s*(?:{_percent(2)}))"
    r"(?P<after>\s+(?:included|inclusive|inkl\.?|enthalten|inbegriffen|on\s+top|extra|additional))?\s*(?P<close>\))?",
    I,
)
NO_TAX = re.compile(
    r"\b(?:no|without|ohne|keine?)\s+(?:vat|v\.a\.t\.|tax|mwst\.?|mehrwertsteuer|ust\.?|umsatzsteuer)\b"
    r"|\b(?:vat|tax)[\s-]+(?:free|exempt)\b|\b(?:tax|vat)[\s-]exempt\b|\b(?:umsatz)?steuerfrei\b"
    r"|\bkleinunternehmer(?:regelung)?(?:\s*\(?(?:(?:gemäß|gem\.|nach|laut|lt\.|i\.\s?s\.\s?d\.)\s*)?§\s*19\s*ustg\)?)?"
    r"|(?:(?:gemäß|gem\.|nach|laut|lt\.)\s*)?§\s*19\s*ustg",
    I,
)
REVERSE_CHARGE = re.compile(r"\breverse[\s-]+charge\b|\bsteuerschuldnerschaft\s+des\s+leistungsempfängers\b", I)
INTRA_EU = re.compile(r"\bintra[\s-]+community\s+supply\b|\binnergemeinschaftliche\s+lieferung\b", I)
GROSS = re.compile(r"\b(?:incl\.?|including|inkl\.?|inklusive)\s+(?:vat|mwst\.?|tax|ust\.?|umsatzsteuer)\b|\b(?:gross|brutto)\b", I)
_GROSS_LEADS = ("inkl", "incl", "including", "inklusive", "included")


def read_tax(reading: Reading) -> list[tuple[int, int, Decimal]]:
    """Take the invoice-wide tax; return the line-level mentions (in parentheses, or after "at")
    as (start, end, rate) for the line parser to attach to the line they sit in."""
    scan = reading.scan
    line_level: list[tuple[int, int, Decimal]] = []
    for m in scan.matches(REVERSE_CHARGE):
        reading.vat_regulation = "reverse_charge"
        scan.take(m.start(), m.end())
    for m in scan.matches(INTRA_EU):
        reading.vat_regulation = "intra_community_supply"
        scan.take(m.start(), m.end())
    for m in scan.matches(NO_TAX):
        _set_rate(reading, m.start(), m.end(), Decimal(0))
        if "19" in m.group(0):
            reading.note("small business (§ 19 UStG): no VAT charged")
    for m in scan.matches(TAX):
        rate, note = parse_number(m.group("rate1") or m.group("rate2"), reading.language, percent=True)
        if note:
            reading.note(note)
        if rate > 100:
            reading.reject(m.start(), m.end(), "a tax rate over 100%")
            continue
        lead = (m.group("lead") or "").lower().rstrip(".")
        gross = lead in _GROSS_LEADS or bool(m.group("after") and re.match(r"\s+(?:incl|inkl|inbegr|enth)", m.group("after"), I))
        if (m.group("paren") and m.group("close")) or lead in ("at", "zu", "bei"):
            if gross:
                reading.prices_include_tax = True
            line_level.append((m.start(), m.end(), rate))
            scan.take(m.start(), m.end())
            continue
        if gross:
            reading.prices_include_tax = True
        _set_rate(reading, m.start(), m.end(), rate)
    for m in scan.matches(GROSS):
        reading.prices_include_tax = True
        scan.take(m.start(), m.end())
    return line_level


def _set_rate(reading: Reading, start: int, end: int, rate: Decimal) -> None:
    if reading.tax_rate is not None and reading.tax_rate != rate:
        reading.reject(start, end, f"a second tax rate ({rate}%) for the whole invoice; put it in parentheses after its item")
        return
    reading.tax_rate = rate
    reading.scan.take(start, end)
