"""Typing slips in the words the rules hang on: "10 houres", "3 Tge", "Invocie", "payabel".

Only where a slip is unmistakable: a word right after a number that is one edit away from
exactly one unit word, the first word when it is close to "invoice"/"Rechnung", and a few
payment words. Every correction is noted, so nothing is read silently.
"""

from __future__ import annotations

import re

from billwire_invoices.text.parser.lexicon import CURRENCY_WORDS, unit_of

_AFTER_NUMBER = (
    "hours hour days day weeks week months month minutes words stunden stunde tage tagen wochen woche monate monaten minuten "
    "wörter wörtern".split()
)
_FIRST = ("invoice", "rechnung")
_TERMS = ("payable", "zahlbar", "innerhalb", "within")
_UNIT_AFTER_NUMBER = re.compile(r"(?<=\d)(\s?)([A-Za-zÄÖÜäöüß]{3,12})(?![\wäöüß])")
_FIRST_WORD = re.compile(r"^(\s*(?:(?:please|bitte|pls)\s+)?)([A-Za-zÄÖÜäöüß]{6,9})(?![\wäöüß])", re.IGNORECASE)
_WORD = re.compile(r"(?<![\wäöüß])[A-Za-zÄÖÜäöüß]{6,10}(?![\wäöüß])")


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from a to b."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _closest(word: str, vocabulary: tuple[str, ...] | list[str], most: int) -> str | None:
    lower = word.lower()
    if lower in vocabulary:
        return None
    near = {v for v in vocabulary if v[0] == lower[0] and abs(len(v) - len(lower)) <= most and distance(lower, v) <= most}
    if len(near) != 1 and not (near and len({v.rstrip("ns") for v in near}) == 1):
        return None
    best = min(near, key=lambda v: (distance(lower, v), len(v)))
    return best.capitalize() if word[0].isupper() else best


def correct_typos(text: str) -> tuple[str, list[str]]:
    notes: list[str] = []

    def fix(vocabulary: tuple[str, ...] | list[str], most: int, skip_units: bool = False):
        def replace(m: re.Match[str]) -> str:
            word = m.group(m.lastindex or 0)
            if skip_units and (unit_of(word) or word.lower() in CURRENCY_WORDS):
                return m.group(0)
            better = _closest(word, vocabulary, most)
            if better is None:
                return m.group(0)
            notes.append(f"read {word!r} as {better!r}")
            return m.group(0)[: m.start(m.lastindex or 0) - m.start()] + better
        return replace

    text = _UNIT_AFTER_NUMBER.sub(fix(_AFTER_NUMBER, 1, skip_units=True), text)
    text = _FIRST_WORD.sub(fix(_FIRST, 2), text, count=1)
    text = _WORD.sub(fix(_TERMS, 1), text)
    return text, notes
