"""Invoice lines: "10 hours of consulting at $150/hour", "8 Stunden Beratung zu 95 EUR pro Stunde",
"a flat fee of $500 for setup", "5 licenses at €49.99 each"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from billwire_invoices.text.parser.describe import describe_text
from billwire_invoices.text.parser.lexicon import (
    CUR_AFTER,
    CUR_CODE,
    CUR_SYM,
    FLAT_WORDS,
    MINUTES_PER_UNIT,
    NUM,
    NUMWORD,
    PER_PIECE,
    RATE_ADJECTIVES,
    UNIT,
    currency_of,
    unit_of,
)
from billwire_invoices.text.parser.numbers import parse_number
from billwire_invoices.text.parser.scan import Reading
from billwire_shared.contracts.text import ParsedLine

I = re.IGNORECASE



def _tail(k: int, bare: bool = False) -> str:
    """What may follow a price: per unit, each, in total (groups numbered per alternative)."""
    per = rf"(?:\s*/\s*|\s+(?:per|pro|je|a|an|the|die|den|for\s+each|for\s+every)\s+)(?P<per{k}>{UNIT}|{PER_PIECE})(?![\wäöüß])"
    each = (
        rf"\s+(?P<each{k}>each|apiece|a\s+piece|per\s+(?:piece|unit|item)|pro\s+(?:stück|einheit)|je\s+stück"
        r"|das\s+stück|jeweils|pro\s+stk\.?)(?![\wäöüß])"
    )
    total = rf"\s+(?P<total{k}>in\s+total|total|insgesamt|gesamt|all\s+in|overall)(?![\wäöüß])"
    if bare:  # a number without a currency must not be a quantity ("at 3 days")
        return rf"(?:{per}|{each}|{total}|(?![\s/]*{UNIT}(?![\wäöüß])))"
    return rf"(?:{per}|{each}|{total})?"


PRICE = re.compile(
    rf"(?P<cur1>{CUR_SYM}|{CUR_CODE})\s?(?P<n1>{NUM}){_tail(1)}"
    rf"|(?P<n2>{NUM})\s?(?P<cur2>{CUR_AFTER}){_tail(2)}"
    rf"|(?P<pre>\b(?:at|zu|à|je|rate\s+of|satz\s+(?:von\s+)?|price\s+of|preis\s+von|rate:|satz:)\s*|@\s*)(?P<n3>{NUM})(?!\s*%)(?!\s?{CUR_AFTER})(?![.,]\s?[-–]){_tail(3, bare=True)}",
    I,
)


def _group(m: re.Match[str], name: str) -> str | None:
    return next((m.group(f"{name}{k}") for k in (1, 2, 3) if m.group(f"{name}{k}")), None)


QUANTITY = re.compile(rf"(?<![\w.,])(?P<q>{NUM}|\b{NUMWORD})\s*(?P<u>{UNIT})(?![\wäöüß])(?!\s*-?\s*rate\b)", I)
TIMES = re.compile(rf"(?<![\w.,])(?:(?P<q>{NUM})\s*[x×](?![\wäöüß])|[x×]\s*(?P<q2>{NUM})(?![\d.,]))", I)
LEADING_COUNT = re.compile(rf"^[\s\-•*–:]*(?i:(?:for|für|also|außerdem|zusätzlich|additionally|plus|and|und|sowie|dazu)\s+)?(?P<q>{NUM})\s+(?=[A-Za-zÄÖÜäöüß])")
FLAT = re.compile(rf"(?<![\wäöüß]){FLAT_WORDS}(?![\wäöüß])", I)
# "Anfahrtspauschale", "Projektfestpreis": a flat fee for the word's first half.
FLAT_COMPOUND = re.compile(r"(?<![\wäöüß])(?P<x>[a-zäöüß]{3,}?)s?(?:pauschale|pauschalpreis|festpreis)(?![\wäöüß])", I)
_BEFORE_PRICE = re.compile(r"(?:\b(?P<word>at|zu|à|je|for|für|of|von|@)\s*)$", I)
_RATE_WORD = re.compile(r"(?<![\wäöüß])(?P<w>" + "|".join(RATE_ADJECTIVES) + r")(?![\wäöüß])", I)
_PAREN = re.compile(r"\([^()]*\)")
_CHECK = re.compile(r"(?:=|\b(?:total(?:\s+of)?|insgesamt|gesamt|makes|macht|summe|sum)\b:?)\s*$", I)
_COMPOUND = re.compile(r"^([a-zäöüß]{3,}?)(s?)(stunden?|tage?n?)$", I)


@dataclass
class Price:
    start: int
    end: int
    value: Decimal
    currency: str | None
    per: str | None  # the unit the price is quoted per
    mode: str | None  # "unit", "total" or None when the words do not say


@dataclass
class Quantity:
    start: int
    end: int
    value: Decimal
    unit: str | None
    extra: str = ""  # a compound's first half: "Beratungsstunden" -> "Beratung"


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _number(reading: Reading, raw: str) -> Decimal:
    value, note = parse_number(raw, reading.language)
    if note:
        reading.note(note)
    return value


def is_check(seg: str, price: Price) -> bool:
    """A price that restates the total ("10 h at $150/h = $1,500")."""
    return bool(_CHECK.search(seg[: price.start]))


def find_prices(reading: Reading, seg: str) -> list[Price]:
    prices = []
    searchable = _blank(seg, [m.span() for m in _PAREN.finditer(seg)])
    for m in PRICE.finditer(searchable):
        raw = m.group("n1") or m.group("n2") or m.group("n3")
        cur = m.group("cur1") or m.group("cur2")
        per_word = _group(m, "per")
        per = (unit_of(per_word) or "piece") if per_word else ("piece" if _group(m, "each") else None)
        mode = "total" if _group(m, "total") else ("unit" if per else None)
        start = m.start() if not m.group("pre") else m.start("n3")
        before = _BEFORE_PRICE.search(seg[:start])
        if before and mode is None:
            mode = "total" if before.group("word").lower() in ("for", "für") else "unit"
        if per is None:
            adjectives = {RATE_ADJECTIVES[w.group("w").lower()] for w in _RATE_WORD.finditer(seg)}
            if len(adjectives) == 1:
                per, mode = adjectives.pop(), "unit"
        prices.append(Price(m.start(), m.end(), _number(reading, raw), currency_of(cur) if cur else None, per, mode))
    return prices


def find_quantities(reading: Reading, seg: str) -> list[Quantity]:
    found: list[Quantity] = []
    for m in QUANTITY.finditer(seg):
        word = m.group("u")
        unit = unit_of(word)
        extra = ""
        compound = _COMPOUND.match(word)
        if compound and unit_of(compound.group(3)):
            extra = compound.group(1).capitalize()
        value = _number(reading, m.group("q"))
        if unit in MINUTES_PER_UNIT:
            unit, per = MINUTES_PER_UNIT[unit]
            reading.note(f"{m.group(0).strip()!r} billed as {value / per:g} {unit}s")
            value = value / per
        found.append(Quantity(m.start(), m.end(), value, unit, extra))
    covered = [(q.start, q.end) for q in found]
    for m in TIMES.finditer(_blank(seg, covered)):
        found.append(Quantity(m.start(), m.end(), _number(reading, m.group("q") or m.group("q2")), "piece"))
    if not found:
        m = LEADING_COUNT.match(seg)
        if m:
            found.append(Quantity(m.start("q"), m.end("q"), _number(reading, m.group("q")), "piece"))
    return found


def describe(seg: str, spans: list[tuple[int, int]], extra: str) -> str:
    """What is left of the segment once quantities, prices and flat-fee words are out."""
    return describe_text(_blank(seg, spans), extra)


def parse_segment(reading: Reading, seg: str, offset: int, line_taxes: list[tuple[int, int, Decimal]]) -> bool:
    """Read one line from one segment of text; False when the segment holds no line."""
    prices = find_prices(reading, seg)
    price_spans = [(p.start, p.end) for p in prices]
    checks = [p for p in prices[1:] if is_check(seg, p)]
    prices = [p for p in prices if p not in checks]
    quantities = [q for q in find_quantities(reading, _blank(seg, price_spans)) if q.value > 0]
    flats = list(FLAT.finditer(_blank(seg, price_spans)))
    compounds = [m for m in FLAT_COMPOUND.finditer(_blank(seg, price_spans)) if m.group(0).lower() not in RATE_ADJECTIVES]
    flats += compounds
    if not prices and not quantities:
        return False
    where = (offset, offset + len(seg))
    if len(prices) > 1:
        reading.reject(*where, "more than one price for one item; put each item in its own sentence or line")
        return True
    if len(quantities) > 1:
        reading.reject(*where, "more than one quantity for one item")
        return True
    if not prices:
        reading.reject(*where, "a quantity without a price")
        return True
    price, quantity = prices[0], quantities[0] if quantities else None
    unit = quantity.unit if quantity else None
    value = price.value
    if quantity is None:
        if price.per in ("hour", "day", "piece"):
            reading.reject(*where, f"a price per {price.per} without a quantity")
            return True
        if price.per in ("week", "month"):
            unit = price.per
            reading.note(f"quantity 1 {price.per} assumed for {seg.strip()!r}")
        elif flats:
            unit = "flat"
        count = Decimal(1)
    else:
        count = quantity.value
        if unit == "piece" and price.per not in (None, "piece"):
            unit = price.per  # "40 at $150/hour": the count is in the rate's unit
        elif price.per is not None and unit is not None and price.per != unit:
            reading.reject(*where, f"the quantity is in {unit}s but the price is per {price.per}")
            return True
        if price.mode == "total":
            value = value / count
            if value != value.quantize(Decimal("0.01")):
                reading.note(f"unit price of {seg.strip()!r} is the total divided by {count}")
    for check in checks:
        if abs(check.value - count * value) >= Decimal("0.01"):
            reading.reject(*where, f"the stated total {check.value} is not {count} × {value}")
            return True
    spans = [(p.start, p.end) for p in prices + checks]
    spans += ([(quantity.start, quantity.end)] if quantity else []) + [m.span() for m in flats]
    spans += [(_CHECK.search(seg[: c.start]).start(), c.start) for c in checks]
    extra = quantity.extra if quantity else ""
    if compounds and not extra:
        extra = compounds[0].group("x").capitalize()
    description = describe(seg, spans, extra)
    tax_rate = next((rate for start, end, rate in line_taxes if offset <= start < offset + len(seg) + 2), None)
    if reading.project and not description:
        description = reading.project
    elif reading.project and reading.project.lower() not in description.lower():
        description = f"{reading.project} — {description[:1].lower() + description[1:] if not description[:2].isupper() else description}"
    if not description:
        description = "Leistungen" if reading.language == "de" else "Services"
        reading.note(f"no description for {seg.strip()!r}; used {description!r}")
    reading.line_currencies.append(price.currency)
    if price.currency:
        reading.currencies.append((price.currency, seg[price.start:price.end].strip()))
    reading.lines.append(ParsedLine(
        description=description[:2000], quantity=count, unit=unit, unit_price=value, tax_rate=tax_rate, source=_source(seg)
    ))
    reading.scan.take(*where)
    return True


def _source(seg: str) -> str:
    return " ".join(seg.split()).strip(" ,;:-–•*")


def split_prices(seg: str, reading: Reading) -> list[tuple[int, int]]:
    """Cut a segment with several priced items and no separator ("Design 500 € Druck 200 €")
    after each price; one piece when it has at most one price."""
    prices = [p for p in find_prices(reading, seg) if not is_check(seg, p)]
    if len(prices) < 2:
        return [(0, len(seg))]
    cuts, start = [], 0
    for price in prices[:-1]:
        cuts.append((start, price.end))
        start = price.end
    cuts.append((start, len(seg)))
    return cuts


def anchor(text: str) -> bool:
    """The segment could hold an item: a number, a currency or a flat-fee word."""
    return bool(re.search(r"\d|" + CUR_SYM, text) or FLAT.search(text) or re.search(rf"\b{NUMWORD}\s+{UNIT}\b", text, I))


def shape(text: str) -> tuple[bool, bool, bool]:
    """(has a price, has a quantity, has words of its own): how a piece may join its neighbour
    ("8 hours of photography, $110 hourly"; "logo design, flat fee 1.500 EUR")."""
    blanked = _blank(text, [m.span() for m in PRICE.finditer(text)])
    priced = blanked != text
    counted = bool(QUANTITY.search(blanked) or TIMES.search(blanked))
    rest = _blank(blanked, [m.span() for m in QUANTITY.finditer(blanked)] + [m.span() for m in FLAT.finditer(blanked)])
    return priced, counted, bool(describe_text(rest)) and not _RATE_ONLY.fullmatch(rest.strip(" ,.;:"))


_RATE_ONLY = re.compile(r"(?:[\wäöüß]+\s+)?(?:rate|satz|price|preis|fee|is|ist|beträgt|die|the|a|an|per|pro|je|stunde|hour|tag|day)?(?:\s+[\wäöüß]+)?", I)


_ITEM_PAREN = re.compile(r"\(([^()]*)\)")


def open_item_parentheses(text: str) -> str:
    """ "photography (2 days at $800/day)": an item in parentheses is part of the text; other
    parentheses (a tax rate, a remark) stay."""
    def opened(m: re.Match[str]) -> str:
        inner = m.group(1)
        return f" {inner} " if PRICE.search(inner) and (QUANTITY.search(inner) or TIMES.search(inner)) else m.group(0)

    return _ITEM_PAREN.sub(opened, text)
