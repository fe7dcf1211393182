"""The parser's corpora, one data file a language (today: 2026-11-20): corpus_en.json holds English
phrasings of invoices as people type them into a chat box or an e-mail, corpus_de.json German ones,
wie man sie in ein Chatfenster oder eine Mail tippt. Each file groups its rows under section names.

A row is the text and everything it must yield (see test_corpus.py), the fields of `C`: lines are
[description, quantity, unit, unit price]; `due` is days (int), an ISO date (str) or null;
`period` is "start/end" (ISO dates) or absent. Descriptions compare without regard to case.
A field a row leaves out has C's default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class C:
    text: str
    client: str | None
    lines: list[tuple[str, str, str | None, str]]
    currency: str | None = None
    tax: str | None = None
    due: int | str | None = None
    period: str | None = None
    discount: str | None = None
    vat: str | None = None
    tags: tuple[str, ...] = field(default=())


def load(language: str) -> list[C]:
    """The rows of corpus_<language>.json, section after section, in the file's order."""
    sections = json.loads((Path(__file__).parent / f"corpus_{language}.json").read_text(encoding="utf-8"))
    return [
        C(**(row | {"lines": [tuple(line) for line in row["lines"]], "tags": tuple(row.get("tags", ()))}))
        for rows in sections.values() for row in rows
    ]


CORPUS_EN = load("en")
CORPUS_DE = load("de")
