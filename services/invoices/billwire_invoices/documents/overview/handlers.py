"""Bus edge of the overview wing: one read per call, scoped by the caller's account (the overview
page's figures, activity and open invoices come in one call, in one statement).

No `from __future__ import annotations`: see documents/handlers.py.
"""

from datetime import UTC, datetime

import msgspec

from billwire_invoices import answers
from billwire_invoices.documents.overview import rules
from billwire_invoices.documents.overview import sql as overview_sql
from billwire_invoices.uow import Handlers
from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.months import month_starts


class OverviewHandlers(Handlers):
    """One method per RPC subject of the overview (each marked with the subject it answers)."""

    @answers(subjects.OVERVIEW_GET)
    async def overview(self, cmd: user_contracts.GetOverview) -> user_contracts.Overview:
        today = datetime.now(UTC).date()
        months = month_starts(today)
        async with self.uow.connection() as conn:
            rows = await overview_sql.overview(
                conn, cmd.ctx.account_id, months[-1], months[0], cmd.activity_limit, cmd.open_invoices_limit,
            )
        return user_contracts.Overview(
            outstanding=rules.per_currency([(currency, outstanding) for currency, outstanding, _ in rows.balances]),
            overdue=rules.per_currency([(currency, overdue) for currency, _, overdue in rows.balances]),
            paid_this_month=rules.per_currency(rows.paid),
            revenue_by_month=[user_contracts.MonthRevenue(month=month, currency=currency, invoiced=invoiced) for month, currency, invoiced in rows.revenue],
            activity=rows.activity, open_invoices=rows.open_invoices,  # type: ignore[arg-type]  # Raw: the Documents' JSON
        )

    @answers(subjects.ACTIVITY_LIST)
    async def activity(self, cmd: user_contracts.ListActivity) -> list[user_contracts.Activity]:
        async with self.uow.connection() as conn:
            rows = await overview_sql.activity(conn, cmd.ctx.account_id, cmd.entity_id, cmd.limit)
        return [msgspec.convert(dict(row), user_contracts.Activity) for row in rows]
