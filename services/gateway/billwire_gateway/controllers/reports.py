from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.reports import (
    GetStats,
    GetUsage,
    Stats,
    StatsPeriod,
    Usage,
)


class ReportController(Controller):
    tags = ["reports"]

    @get("/stats", summary="Invoiced, sent, paid, outstanding, overdue, credited and net revenue per period and currency,"
                           " and top clients, over a range (from, to) or one calendar unit (year with month, week or quarter; date)")
    async def stats(
        self,
        caller: CallerDep,
        bus: BusDep,
        period: FromQuery[StatsPeriod] = "month",
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        top: Annotated[int, QueryParameter(ge=1, le=50)] = 5,
        year: Annotated[int | None, QueryParameter(ge=1, le=9999, description="With period=year, or with month, week or quarter")] = None,
        quarter: Annotated[int | None, QueryParameter(ge=1, le=4, description="With period=quarter and year")] = None,
        month: Annotated[int | None, QueryParameter(ge=1, le=12, description="With period=month and year")] = None,
        week: Annotated[int | None, QueryParameter(ge=1, le=53, description="ISO week, with period=week and year")] = None,
        on_date: Annotated[date | None, QueryParameter(name="date", description="With period=day")] = None,
    ) -> Response[Stats]:
        command = GetStats(
            ctx=caller, period=period, date_from=date_from, date_to=date_to, top=top, year=year, quarter=quarter, month=month,
            week=week, day=on_date,
        )
        return json_reply(await bus.call(subjects.STATS_GET, command))

    @get("/usage", summary="Documents this billing period against the monthly quota, e-mails today against the daily limit")
    async def usage(self, caller: CallerDep, bus: BusDep) -> Response[Usage]:
        return json_reply(await bus.call(subjects.USAGE_GET, GetUsage(ctx=caller)))
