"""The overview: money outstanding, overdue and paid this month, revenue per month, latest activity."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get

from billwire_gateway.web.charts import revenue_chart
from billwire_gateway.web.context import PersonDep, bus_of, decode, page
from billwire_shared import subjects
from billwire_shared.contracts.users import GetOverview, Overview
from billwire_shared.months import month_starts


class OverviewController(Controller):
    path = "/"

    @get("/")
    async def overview(self, request: Request, person: PersonDep) -> Response:
        command = GetOverview(ctx=person.caller, activity_limit=12, open_invoices_limit=6)  # one call: figures, activity, open invoices
        overview = decode(await bus_of(request).call(subjects.OVERVIEW_GET, command), Overview)
        currencies = sorted({row.currency for row in overview.revenue_by_month}) or ["EUR"]
        months = month_starts(datetime.now(UTC).date())
        charts = [revenue_chart(months, overview.revenue_by_month, currency, person.texts.month) for currency in currencies]
        return page(
            request, "overview.html", person, overview=overview, activity=overview.activity, charts=charts,
            open_invoices=overview.open_invoices,
        )
