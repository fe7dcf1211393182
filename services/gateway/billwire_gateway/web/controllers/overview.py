"""The overview: money outstanding, overdue and paid this month, revenue per month, latest activity."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from litestar import Controller, Request, Response, get

from billwire_gateway.web.charts import revenue_chart
from billwire_gateway.web.context import PersonDep, bus_of, decode, page
from billwire_shared import subjects
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.documents import Document, ListDocuments
from billwire_shared.contracts.users import Activity, GetOverview, ListActivity, Overview
from billwire_shared.months import month_starts


class OverviewController(Controller):
    path = "/"

    @get("/")
    async def overview(self, request: Request, person: PersonDep) -> Response:
        bus = bus_of(request)
        open_listing = ListDocuments(ctx=person.caller, type="invoice", status="open", sort="date", limit=6)
        raw_overview, raw_activity, raw_open = await asyncio.gather(  # three reads, one round trip of waiting
            bus.call(subjects.OVERVIEW_GET, GetOverview(ctx=person.caller)),
            bus.call(subjects.ACTIVITY_LIST, ListActivity(ctx=person.caller, limit=12)),
            bus.call(subjects.DOCUMENT_LIST, open_listing),
        )
        overview, activity = decode(raw_overview, Overview), decode(raw_activity, list[Activity])
        open_invoices = decode(raw_open, Page[Document]).items
        currencies = sorted({row.currency for row in overview.revenue_by_month}) or ["EUR"]
        months = month_starts(datetime.now(UTC).date())
        charts = [revenue_chart(months, overview.revenue_by_month, currency, person.texts.month) for currency in currencies]
        return page(
            request, "overview.html", person, overview=overview, activity=activity, charts=charts, open_invoices=open_invoices,
        )
