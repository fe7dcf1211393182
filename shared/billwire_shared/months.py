"""Month arithmetic the overview shares: the invoices service sums revenue into these months and
the gateway's chart draws one bar for each, so both must count the same twelve."""

from __future__ import annotations

from datetime import date


def month_starts(today: date, count: int = 12) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]
