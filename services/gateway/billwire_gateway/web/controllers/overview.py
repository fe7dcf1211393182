"""The overview: money outstanding, overdue and paid this month, revenue per month, latest activity."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get

from billwire_gateway.web.charts import figures
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
        months = month_starts(datetime.now(UTC).date())
        chart = request.app.template_engine.get_template("web/revenue_chart.html")  # type: ignore[union-attr]
        charts = figures(chart, person.texts.language, months, overview.revenue_by_month)
        return page(
            request, "overview.html", person, overview=overview, activity=overview.activity, charts=charts,
            open_invoices=overview.open_invoices,
        )
