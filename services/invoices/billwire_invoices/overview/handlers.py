"""Bus edge of the overview wing: one read per call, scoped by the caller's account.

No `from __future__ import annotations`: see billwire_invoices.handlers.
"""

from datetime import UTC, datetime

import asyncpg
import msgspec

from billwire_invoices.overview import rules
from billwire_invoices.overview import sql as overview_sql
from billwire_shared import subjects as s
from billwire_shared.contracts import users as u


class OverviewHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def overview(self, cmd: u.GetOverview) -> u.Overview:
        today = datetime.now(UTC).date()
        months = rules.month_starts(today)
        async with self.pool.acquire() as conn:
            balances = await overview_sql.open_balances(conn, cmd.ctx.account_id)
            paid = await overview_sql.paid_since(conn, cmd.ctx.account_id, months[-1])
            revenue = await overview_sql.revenue_by_month(conn, cmd.ctx.account_id, months[0])
        return u.Overview(
            outstanding=rules.per_currency([(row["currency"], row["outstanding"]) for row in balances]),
            overdue=rules.per_currency([(row["currency"], row["overdue"]) for row in balances]),
            paid_this_month=rules.per_currency([(row["currency"], row["paid"]) for row in paid]),
            revenue_by_month=[u.MonthRevenue(month=row["month"], currency=row["currency"], invoiced=row["invoiced"]) for row in revenue],
        )

    async def activity(self, cmd: u.ListActivity) -> list[u.Activity]:
        async with self.pool.acquire() as conn:
            rows = await overview_sql.activity(conn, cmd.ctx.account_id, cmd.entity_id, cmd.limit)
        return [msgspec.convert(dict(row), u.Activity) for row in rows]


OVERVIEW_ROUTES: dict[str, str] = {
    s.OVERVIEW_GET: "overview",
    s.ACTIVITY_LIST: "activity",
}
