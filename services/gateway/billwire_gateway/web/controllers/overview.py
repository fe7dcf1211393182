"""The overview: money outstanding, overdue and paid this month, revenue per month, latest activity."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get

from billwire_gateway.web.charts import last_months, revenue_chart
from billwire_gateway.web.context import PersonDep, bus_of, decode, page
from billwire_shared import subjects as s
from billwire_shared.contracts.users import Activity, GetOverview, ListActivity, Overview


class OverviewController(Controller):
    path = "/"

    @get("/")
    async def overview(self, request: Request, person: PersonDep) -> Response:
        bus = bus_of(request)
        overview = decode(await bus.call(s.OVERVIEW_GET, GetOverview(ctx=person.caller)), Overview)
        activity = decode(await bus.call(s.ACTIVITY_LIST, ListActivity(ctx=person.caller, limit=12)), list[Activity])
        currencies = sorted({row.currency for row in overview.revenue_by_month}) or ["EUR"]
        months = last_months(datetime.now(UTC).date())
        charts = [revenue_chart(months, overview.revenue_by_month, currency, person.texts.month) for currency in currencies]
        return page(request, "overview.html", person, overview=overview, activity=activity, charts=charts)
