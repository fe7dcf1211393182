"""How a corpus row is written: the text and everything it must yield (see test_corpus.py).

`C(text, client, lines, currency, tax, due, period=..., discount=..., vat=...)`: lines are
(description, quantity, unit, unit price); `due` is days (int), an ISO date (str) or None;
`period` is "start/end" (ISO dates) or None. Descriptions compare without regard to case.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
