"""Shaping the overview's figures, free of I/O: the last twelve months, money per currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def month_starts(today: date, count: int = 12) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def per_currency(rows: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    return {currency: amount for currency, amount in rows if amount}
