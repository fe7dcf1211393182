"""Bus edge of the overview wing: one read per call, scoped by the caller's account (the overview
page's figures, activity and open invoices come in one call, from one connection).

No `from __future__ import annotations`: see documents/handlers.py.
"""

from datetime import UTC, datetime

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.overview import rules
from billwire_invoices.documents.overview import sql as overview_sql
from billwire_invoices.uow import UnitOfWork
from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.documents import ListDocuments
from billwire_shared.months import month_starts


class OverviewHandlers:
    """One method per RPC subject of the overview (each marked with the subject it answers)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.uow = UnitOfWork(pool)

    @answers(subjects.OVERVIEW_GET)
    async def overview(self, cmd: user_contracts.GetOverview) -> user_contracts.Overview:
        today = datetime.now(UTC).date()
        months = month_starts(today)
        open_listing = ListDocuments(ctx=cmd.ctx, type="invoice", status="open", sort="date", limit=max(1, cmd.open_invoices_limit))
        async with self.uow.connection() as conn:
            balances = await overview_sql.open_balances(conn, cmd.ctx.account_id)
            paid = await overview_sql.paid_since(conn, cmd.ctx.account_id, months[-1])
            revenue = await overview_sql.revenue_by_month(conn, cmd.ctx.account_id, months[0])
            activity = await overview_sql.activity(conn, cmd.ctx.account_id, None, cmd.activity_limit) if cmd.activity_limit else []
            open_invoices = (await documents_sql.list_documents(conn, open_listing))[0] if cmd.open_invoices_limit else []
        return user_contracts.Overview(
            outstanding=rules.per_currency([(row["currency"], row["outstanding"]) for row in balances]),
            overdue=rules.per_currency([(row["currency"], row["overdue"]) for row in balances]),
            paid_this_month=rules.per_currency([(row["currency"], row["paid"]) for row in paid]),
            revenue_by_month=[user_contracts.MonthRevenue(month=row["month"], currency=row["currency"], invoiced=row["invoiced"]) for row in revenue],
            activity=[msgspec.convert(dict(row), user_contracts.Activity) for row in activity], open_invoices=open_invoices,
        )

    @answers(subjects.ACTIVITY_LIST)
    async def activity(self, cmd: user_contracts.ListActivity) -> list[user_contracts.Activity]:
        async with self.uow.connection() as conn:
            rows = await overview_sql.activity(conn, cmd.ctx.account_id, cmd.entity_id, cmd.limit)
        return [msgspec.convert(dict(row), user_contracts.Activity) for row in rows]
