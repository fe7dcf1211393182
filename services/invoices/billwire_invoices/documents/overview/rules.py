"""Shaping the overview's figures, free of I/O: money per currency (the twelve months are
`billwire_shared.months.month_starts`, the same the gateway's chart draws)."""

from __future__ import annotations

from decimal import Decimal


def per_currency(rows: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    return {currency: amount for currency, amount in rows if amount}
