"""The offline parser: an invoice as people write it in English or German -> a structured draft.

Pure (no I/O, no model, no key): `parse_invoice_text(text, today=...)`. Each rule takes the
parts of the text it understands; whatever is left that carries meaning comes back in
`unparsed` with a reason, and everything assumed (a year, a notation) in `notes`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from billwire_invoices.text.parser.client import read_client
from billwire_invoices.text.parser.dates import (
    read_due,
    read_period,
    reject_other_dates,
)
from billwire_invoices.text.parser.describe import project_of
from billwire_invoices.text.parser.discount import read_discount
from billwire_invoices.text.parser.items import anchor, open_item_parentheses, parse_segment, shape, split_prices
from billwire_invoices.text.parser.lexicon import (
    ABBREVIATIONS,
    CUR_CODE,
    CUR_WORD,
    ENGLISH_MARKERS,
    FILLER,
    GERMAN_MARKERS,
    MONTH,
    currency_of,
)
from billwire_invoices.text.parser.scan import Reading, Scan
from billwire_invoices.text.parser.tax import read_tax
from billwire_invoices.text.parser.typos import correct_typos
from billwire_shared.contracts.common import Period
from billwire_shared.contracts.text import ParsedInvoice, Unparsed
from billwire_shared.money import net_from_gross

__all__ = ["detect_language", "parse_invoice_text"]

I = re.IGNORECASE
SEPARATOR = re.compile(
    r"\n+|;|,(?=\s)|\.(?=\s|$)|[?!]+(?=\s|$)|\s(?P<weak>and|und|sowie|as\s+well\s+as|plus|also|\+|along\s+with|together\s+with|zuzüglich)(?=\s)",
    I,
)
CURRENCY_MENTION = re.compile(rf"\b(?:in|currency:?|währung:?|all\s+amounts\s+in|alle\s+beträge\s+in|billed\s+in)\s+(?P<c>{CUR_CODE}|{CUR_WORD})", I)
_WORD = re.compile(r"[a-zäöüß]+", I)


def detect_language(text: str) -> str:
    words = _WORD.findall(text.lower())
    german = sum(w in GERMAN_MARKERS for w in words) + 2 * len(re.findall(r"[äöüß]", text.lower()))
    english = sum(w in ENGLISH_MARKERS for w in words)
    return "de" if german > english else "en"


_LIST_NUMBER = re.compile(rf"(?m)^([ \t]*)\d{{1,2}}[.)][ \t]+(?!{MONTH})(?=[^\W\d])", I)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")
    text = _LIST_NUMBER.sub(r"\1- ", text)  # "1. Workshop - 1 day": a numbered list, not a quantity
    text = open_item_parentheses(text)
    return re.sub(r"[ \u00a0]{2,}", " ", text).strip()


def parse_invoice_text(text: str, *, today: date) -> ParsedInvoice:
    text, corrections = correct_typos(normalize(text))
    reading = Reading(Scan(text), today, language=detect_language(text))
    for note in corrections:
        reading.note(note)
    read_due(reading)
    read_period(reading)
    reject_other_dates(reading)
    read_discount(reading)
    line_taxes = read_tax(reading)
    for m in reading.scan.matches(CURRENCY_MENTION):
        reading.currencies.append((currency_of(m.group("c")), m.group(0).strip()))
        reading.scan.take(m.start(), m.end())
    read_client(reading)
    read_lines(reading, line_taxes)
    report_rest(reading)
    return finish(reading)


def _segments(reading: Reading) -> list[tuple[int, int]]:
    """The untaken text cut at separators; a piece without a number or price joins its
    neighbour across "and"/"und" ("design and development, 10 h at ...")."""
    view, pieces = reading.scan.view(), []
    start, weak = 0, True  # a run of separators is weak only if each of them is
    for m in SEPARATOR.finditer(view):
        if m.group(0) == "." and _abbreviation(view, m.start()):
            continue
        if view[start:m.start()].strip():
            if pieces:
                pieces[-1][3] = weak
            pieces.append([start, m.start(), weak and bool(pieces), False])
            weak = True
        weak = weak and bool(m.group("weak"))
        start = m.end()
    if view[start:].strip():
        if pieces:
            pieces[-1][3] = weak
        pieces.append([start, len(view), weak and bool(pieces), False])
    merged: list[list] = []
    for i, piece in enumerate(pieces):
        text = view[piece[0]:piece[1]]
        if not anchor(text) and _meaningful(text):
            if piece[2] and merged and _trailing_description(view[merged[-1][0]:merged[-1][1]]):
                merged[-1][1] = piece[1]
                merged[-1][3] = piece[3]
                continue
            following = pieces[i + 1] if i + 1 < len(pieces) else None
            if following and (piece[3] or re.match(r"\s*[\d$€£]", view[following[0]:following[1]])):
                following[0] = piece[0]
                following[2] = piece[2]
                continue
        merged.append(piece)
    return _join_split_items(view, [(p[0], p[1]) for p in merged])


def _join_split_items(view: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join a piece to the next when together they make one item: a description and its bare
    price ("logo design, flat fee 1.500 EUR"), or a quantity and its rate ("14 hours of tuning,
    rate is $160/h"; "6 Tage Programmierung, Tagessatz 780 €")."""
    joined: list[tuple[int, int]] = []
    for start, end in pieces:
        if joined:
            before = shape(view[joined[-1][0]:joined[-1][1]])
            after = shape(view[start:end])
            price_only = after[0] and not after[1] and not after[2]
            if price_only and not before[0] and (before[1] or before[2]):
                joined[-1] = (joined[-1][0], end)
                continue
        joined.append((start, end))
    return joined


def _trailing_description(text: str) -> bool:
    """An item whose description follows its price ("10 h at $100 for design"), so "and testing" continues it."""
    return bool(re.search(r"[\d$€£]\S*\s.*\b(?:for|für|of|von)\s+[^\d$€£]*$", text, I))


def _abbreviation(view: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", view[:dot])
    return bool(word) and (word.group(1).lower() in ABBREVIATIONS or len(word.group(1)) == 1)


def _meaningful(text: str) -> bool:
    return any(w.lower() not in FILLER for w in re.findall(r"[\wäöüß$€£%]+", text))


def read_lines(reading: Reading, line_taxes: list) -> None:
    """The lines, each segment at a time; a sentence that only names the work ("I just wrapped
    up the website redesign") heads the lines' descriptions, and is reported when no line follows."""
    view, project_span = reading.scan.view(), None
    for start, end in _segments(reading):
        segment = view[start:end]
        project = None if anchor(segment) else project_of(segment)
        if project:
            reading.project, project_span = project, (start, end)
            reading.scan.take(start, end)
            continue
        for piece_start, piece_end in split_prices(segment, reading):
            piece = segment[piece_start:piece_end]
            if anchor(piece):
                parse_segment(reading, piece, start + piece_start, line_taxes)
    if project_span and not any(reading.project in line.description for line in reading.lines):
        words = " ".join(view[slice(*project_span)].split())
        reading.unparsed.append(Unparsed(text=words.strip(" ,;.?!"), reason="not understood"))


def report_rest(reading: Reading) -> None:
    """Whatever is left and not mere filler ("please", "and", "thanks") is not understood."""
    view = reading.scan.view()
    for start, end in reading.scan.free_runs():
        pos = start
        strong = [m for m in SEPARATOR.finditer(view, start, end) if not m.group("weak")]
        for m in strong + [None]:
            stop = m.start() if m else end
            if _meaningful(view[pos:stop]):
                lead = _CONNECTOR.match(view, pos, stop)
                first = lead.end() if lead else pos
                reason = "an amount without an item or quantity" if anchor(view[pos:stop]) else "not understood"
                reading.reject(first, stop, reason)
            pos = m.end() if m else end
        reading.scan.take(start, end)


_CONNECTOR = re.compile(r"\s*(?:(?:and|und|also|plus|sowie|or|oder|but|aber)\s+)+", I)


def finish(reading: Reading) -> ParsedInvoice:
    codes = [code for code, _ in reading.currencies]
    currency = codes[0] if codes else None
    lines = []
    for line, code in zip(reading.lines, reading.line_currencies, strict=True):
        if code is not None and code != currency:
            reading.unparsed.append(Unparsed(text=line.source, reason=f"priced in {code}, but the invoice is in {currency}"))
            continue
        lines.append(line)
    for code, written in reading.currencies:
        if code != currency and not any(written in u.text for u in reading.unparsed):
            reading.unparsed.append(Unparsed(text=written, reason=f"a second currency ({code}); the invoice is in {currency}"))
    for line in lines:
        if line.tax_rate is None and reading.tax_rate is not None:
            line.tax_rate = reading.tax_rate
    if reading.prices_include_tax:
        for line in lines:
            if line.tax_rate is None:
                reading.unparsed.append(Unparsed(text=line.source, reason="the price includes VAT but no rate is given"))
            else:
                line.unit_price = net_from_gross(line.unit_price, line.tax_rate)
        lines = [line for line in lines if line.tax_rate is not None]
        reading.note("prices include VAT; unit prices are the net amounts")
    period = Period(start=reading.period[0], end=reading.period[1]) if reading.period else None
    return ParsedInvoice(
        client_name=reading.client_name, lines=lines, currency=currency, tax_rate=reading.tax_rate, discount_rate=reading.discount_rate,
        vat_regulation=reading.vat_regulation, due_days=reading.due_days, due_date=reading.due_date,
        service_period=period, language=reading.language, notes=reading.notes, unparsed=reading.unparsed,  # type: ignore[arg-type]
    )
