"""The overview's revenue chart as plain SVG numbers, computed here so the template only draws;
and each drawn chart kept, since the same figures are drawn on every view of the overview."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from jinja2 import Template
from markupsafe import Markup

from billwire_gateway.web.i18n import Texts
from billwire_shared.contracts.users import MonthRevenue

WIDTH, HEIGHT, BOTTOM, TOP = 720, 240, 28, 16


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    amount: Decimal
    month: date


@dataclass
class Chart:
    currency: str
    bars: list[Bar]
    gridlines: list[tuple[float, Decimal]]
    width: int = WIDTH
    height: int = HEIGHT


def _nice_ceiling(value: Decimal) -> Decimal:
    """1, 2 or 5 times a power of ten, at least `value`: round gridline steps."""
    if value <= 0:
        return Decimal(100)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def revenue_chart(months: list[date], revenue: list[MonthRevenue], currency: str, month_label) -> Chart:  # noqa: ANN001
    amounts = {row.month: row.invoiced for row in revenue if row.currency == currency}
    top = _nice_ceiling(max(amounts.values(), default=Decimal(0)))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = WIDTH / max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        amount = amounts.get(month, Decimal(0))
        height = float(amount / top) * plot_height if top else 0.0
        bars.append(Bar(
            x=index * slot + slot * 0.18, y=TOP + plot_height - height, width=slot * 0.64, height=height,
            label=month_label(month), amount=amount, month=month,
        ))
    gridlines = [(TOP + plot_height * (1 - fraction), top * Decimal(str(fraction))) for fraction in (0, 0.5, 1)]
    return Chart(currency=currency, bars=bars, gridlines=gridlines)


def figures(template: Template, language: str, months: list[date], revenue: list[MonthRevenue]) -> list[Markup]:
    """Each currency's chart drawn by `template` (web/revenue_chart.html), EUR's empty one when there is
    no revenue. A chart depends only on its arguments, so one drawn before is taken as it was: most
    of the overview's template time was drawing the same bars and table again."""
    currencies = sorted({row.currency for row in revenue}) or ["EUR"]
    return [
        _figure(template, language, currency, tuple(months),
                tuple((row.month, row.invoiced) for row in revenue if row.currency == currency), len(currencies) > 1)
        for currency in currencies
    ]


@functools.lru_cache(maxsize=512)
def _figure(template: Template, language: str, currency: str, months: tuple[date, ...],
            amounts: tuple[tuple[date, Decimal], ...], many: bool) -> Markup:
    texts = Texts(language)
    revenue = [MonthRevenue(month=month, currency=currency, invoiced=amount) for month, amount in amounts]
    chart = revenue_chart(list(months), revenue, currency, texts.month)
    return Markup(template.render(chart=chart, t=texts, many=many))  # the template escaped what it drew
