"""Statistics, usage against quotas, and export pages: read-only views of an account's documents.

No `from __future__ import annotations`: see handlers.py.
"""

from collections.abc import Awaitable, Callable

import asyncpg
import msgspec

from billwire_invoices import repository as repo
from billwire_shared import subjects as s
from billwire_shared.contracts import mail as m
from billwire_shared.contracts import reports as rp
from billwire_shared.contracts.documents import Document
from billwire_shared.errors import BillwireError

_STATS = """
WITH issued AS (
    SELECT date_trunc($2, issue_date)::date AS period_start, data->>'currency' AS currency,
           (data->'totals'->>'gross')::numeric AS gross, amount_paid,
           coalesce((data->>'balance_due')::numeric, 0) AS balance, status, overdue_at
    FROM documents
    WHERE account_id = $1 AND type = 'invoice' AND status IN ('open', 'paid')
      AND ($3::date IS NULL OR issue_date >= $3) AND ($4::date IS NULL OR issue_date <= $4)
)
SELECT period_start, currency,
       sum(gross) AS invoiced, count(*) AS invoiced_count,
       sum(amount_paid) AS paid, count(*) FILTER (WHERE status = 'paid') AS paid_count,
       coalesce(sum(balance) FILTER (WHERE status = 'open'), 0) AS outstanding,
       count(*) FILTER (WHERE status = 'open') AS outstanding_count,
       coalesce(sum(balance) FILTER (WHERE status = 'open' AND overdue_at IS NOT NULL), 0) AS overdue,
       count(*) FILTER (WHERE status = 'open' AND overdue_at IS NOT NULL) AS overdue_count
FROM issued GROUP BY period_start, currency ORDER BY period_start, currency
"""

_TOP_CLIENTS = """
SELECT client_id, data->'client'->>'name' AS name, data->>'currency' AS currency,
       sum((data->'totals'->>'gross')::numeric) AS revenue, count(*) AS invoices
FROM documents
WHERE account_id = $1 AND type = 'invoice' AND status IN ('open', 'paid')
  AND ($2::date IS NULL OR issue_date >= $2) AND ($3::date IS NULL OR issue_date <= $3)
GROUP BY client_id, data->'client'->>'name', data->>'currency'
ORDER BY revenue DESC, name LIMIT $4
"""


class ReportHandlers:
    def __init__(
        self, pool: asyncpg.Pool, request: Callable[[str, bytes], Awaitable[bytes]] | None = None, documents_quota: int = 0
    ) -> None:
        self.pool, self.request, self.documents_quota = pool, request, documents_quota

    async def stats(self, cmd: rp.GetStats) -> rp.Stats:
        async with self.pool.acquire() as conn:
            periods = await conn.fetch(_STATS, cmd.ctx.account_id, cmd.period, cmd.date_from, cmd.date_to)
            top = await conn.fetch(_TOP_CLIENTS, cmd.ctx.account_id, cmd.date_from, cmd.date_to, cmd.top)
        return rp.Stats(
            period=cmd.period, date_from=cmd.date_from, date_to=cmd.date_to,
            periods=[rp.PeriodStats(**dict(row)) for row in periods],
            top_clients=[rp.TopClient(**dict(row)) for row in top],
        )

    async def usage(self, cmd: rp.GetUsage) -> rp.Usage:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS month_start,"
                " count(*) FILTER (WHERE created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS documents"
                " FROM documents WHERE account_id = $1",
                cmd.ctx.account_id,
            )
        emails = await self._email_quota(cmd)
        return rp.Usage(
            month_start=row["month_start"], documents_this_month=row["documents"],
            documents_quota=self.documents_quota or None,
            emails_today=emails.used if emails else None,
            emails_daily_limit=(emails.limit or None) if emails else None,
        )

    async def _email_quota(self, cmd: rp.GetUsage) -> m.EmailQuota | None:
        if self.request is None:
            return None
        try:
            raw = await self.request(s.MAILER_QUOTA_GET, msgspec.json.encode(m.GetEmailQuota(ctx=cmd.ctx)))
        except BillwireError:
            return None  # the mailer is down: usage still answers, without the e-mail figures
        return msgspec.json.decode(raw, type=m.EmailQuota)

    async def export_page(self, cmd: rp.ExportPage) -> rp.ExportRows:
        conditions, args = repo.document_filters(msgspec.structs.replace(cmd.filters, ctx=cmd.ctx))
        if cmd.after_created_at is not None and cmd.after_id is not None:
            args += [cmd.after_created_at, cmd.after_id]
            conditions.append(f"(created_at, id) > (${len(args) - 1}, ${len(args)})")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT data FROM documents WHERE {' AND '.join(conditions)} ORDER BY created_at, id LIMIT {int(cmd.limit)}",
                *args,
            )
        items = [msgspec.convert(r["data"], Document, strict=False) for r in rows]
        return rp.ExportRows(items=items, last=len(items) < cmd.limit)


REPORT_ROUTES: dict[str, str] = {s.STATS_GET: "stats", s.USAGE_GET: "usage", s.EXPORT_PAGE: "export_page"}
