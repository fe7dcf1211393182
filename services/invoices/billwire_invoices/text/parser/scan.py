"""The text being read, and which of its characters some rule has already taken."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billwire_shared.contracts.text import ParsedLine, Unparsed


class Scan:
    """Rules take the spans they understand; whatever nobody takes is reported as unparsed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._taken = bytearray(len(text))
        self._view: str | None = text

    def view(self) -> str:
        """The text with every taken character blanked, so later rules cannot match across it."""
        if self._view is None:
            self._view = "".join(" " if t else c for c, t in zip(self.text, self._taken, strict=True))
        return self._view

    def take(self, start: int, end: int) -> None:
        self._taken[start:end] = b"\x01" * (end - start)
        self._view = None

    def matches(self, pattern: re.Pattern[str], start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
        """Matches in the untaken text (re-read after each take, so matches never overlap)."""
        end = len(self.text) if end is None else end
        pos = start
        while pos < end:
            view = self.view()
            match = pattern.search(view, pos, end)
            if match is None:
                return
            if match.end() == match.start():
                pos = match.end() + 1
                continue
            yield match
            pos = match.end()

    def free_runs(self, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """The untaken stretches of [start, end)."""
        end = len(self.text) if end is None else end
        runs, run_start = [], None
        for i in range(start, end):
            if not self._taken[i] and run_start is None:
                run_start = i
            elif self._taken[i] and run_start is not None:
                runs.append((run_start, i))
                run_start = None
        if run_start is not None:
            runs.append((run_start, end))
        return runs


@dataclass
class Reading:
    """What the rules have found so far."""

    scan: Scan
    today: date
    language: str = "en"
    client_name: str | None = None
    currencies: list[tuple[str, str]] = field(default_factory=list)  # (code, as written)
    tax_rate: Decimal | None = None
    discount_rate: Decimal | None = None
    prices_include_tax: bool = False
    vat_regulation: str | None = None
    due_days: int | None = None
    due_date: date | None = None
    period: tuple[date, date] | None = None
    project: str | None = None  # the piece of work the lines belong to ("the website redesign")
    lines: list[ParsedLine] = field(default_factory=list)
    line_currencies: list[str | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def reject(self, start: int, end: int, reason: str) -> None:
        """Report a span as not understood (or ambiguous), and keep other rules off it."""
        text = self.scan.text[start:end].strip(" ,;.\n\t")
        if text:
            self.unparsed.append(Unparsed(text=text, reason=reason))
        self.scan.take(start, end)
