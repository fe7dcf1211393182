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

    @get("/stats", summary="Invoiced, paid, outstanding and overdue per period and currency, and top clients")
    async def stats(
        self,
        caller: CallerDep,
        bus: BusDep,
        period: FromQuery[StatsPeriod] = "month",
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        top: Annotated[int, QueryParameter(ge=1, le=50)] = 5,
    ) -> Response[Stats]:
        command = GetStats(ctx=caller, period=period, date_from=date_from, date_to=date_to, top=top)
        return json_reply(await bus.call(subjects.STATS_GET, command))

    @get("/usage", summary="Documents this billing period against the monthly quota, e-mails today against the daily limit")
    async def usage(self, caller: CallerDep, bus: BusDep) -> Response[Usage]:
        return json_reply(await bus.call(subjects.USAGE_GET, GetUsage(ctx=caller)))
