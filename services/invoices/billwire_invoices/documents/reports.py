"""Statistics, usage against quotas, and export pages: read-only views of an account's documents.

No `from __future__ import annotations`: see documents/handlers.py.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.documents import calendar, csv_rows, quota, sql
from billwire_invoices.uow import UnitOfWork
from billwire_shared import subjects
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.mail import EmailQuota, GetEmailQuota
from billwire_shared.contracts.reports import (
    CsvRows,
    DocumentAllotment,
    EmailAllotment,
    ExportCsv,
    ExportPage,
    ExportRows,
    GetStats,
    GetUsage,
    PeriodStats,
    Stats,
    TopClient,
    Usage,
)
from billwire_shared.errors import BillwireError

# Stats add up the running totals migration 0019 keeps per account, issue day and everything they
# filter on (triggers on `documents` keep them in the statement that changes a document): the cost
# grows with the days and clients in the range, not with the number of documents. What they count:
# issued invoices and credit notes (open or paid), a credit note that cancels an invoice left out
# with it. Overdue-now depends on today, so it is decided here from the due date and overdue mark.
_RANGE = "account_id = $1 AND ({first}::date IS NULL OR issue_date >= {first}) AND ({last}::date IS NULL OR issue_date <= {last})"

_STATS = f"""
WITH issued AS (
    SELECT date_trunc($2, issue_date)::date AS period_start, currency, type = 'invoice' AS invoice, status, sent,
           (overdue_marked OR due_date < (now() AT TIME ZONE 'UTC')::date) AS overdue_now,
           documents, gross, magnitude, amount_paid, balance
    FROM document_totals WHERE {_RANGE.format(first="$3", last="$4")}
)
SELECT period_start, currency,
       coalesce(sum(gross) FILTER (WHERE invoice), 0) AS invoiced,
       coalesce(sum(documents) FILTER (WHERE invoice), 0)::bigint AS invoiced_count,
       coalesce(sum(amount_paid) FILTER (WHERE invoice), 0) AS paid,
       coalesce(sum(documents) FILTER (WHERE invoice AND status = 'paid'), 0)::bigint AS paid_count,
       coalesce(sum(balance) FILTER (WHERE invoice AND status = 'open'), 0) AS outstanding,
       coalesce(sum(documents) FILTER (WHERE invoice AND status = 'open'), 0)::bigint AS outstanding_count,
       coalesce(sum(balance) FILTER (WHERE invoice AND status = 'open' AND overdue_now), 0) AS overdue,
       coalesce(sum(documents) FILTER (WHERE invoice AND status = 'open' AND overdue_now), 0)::bigint AS overdue_count,
       coalesce(sum(gross) FILTER (WHERE invoice AND sent), 0) AS sent,
       coalesce(sum(documents) FILTER (WHERE invoice AND sent), 0)::bigint AS sent_count,
       coalesce(sum(magnitude) FILTER (WHERE NOT invoice), 0) AS credited,
       coalesce(sum(documents) FILTER (WHERE NOT invoice), 0)::bigint AS credit_notes_count,
       coalesce(sum(gross) FILTER (WHERE invoice), 0) - coalesce(sum(magnitude) FILTER (WHERE NOT invoice), 0) AS revenue
FROM issued GROUP BY period_start, currency ORDER BY period_start, currency
"""

# Revenue per client, credit notes netted.
_TOP_CLIENTS = f"""
SELECT client_id, client_name AS name, currency, sum(revenue) AS revenue, sum(invoices)::bigint AS invoices
FROM client_totals WHERE {_RANGE.format(first="$2", last="$3")}
GROUP BY client_id, client_name, currency
ORDER BY revenue DESC, name LIMIT $4
"""


class ReportHandlers:
    def __init__(
        self, pool: asyncpg.Pool, request: Callable[[str, bytes], Awaitable[bytes]] | None = None, documents_quota: int = 0
    ) -> None:
        self.uow = UnitOfWork(pool)
        self.request, self.documents_quota = request, documents_quota

    @answers(subjects.STATS_GET)
    async def stats(self, cmd: GetStats) -> Stats:
        async def work(conn: asyncpg.Connection) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
            periods = await conn.fetch(_STATS, cmd.ctx.account_id, cmd.period, date_from, date_to)
            return periods, await conn.fetch(_TOP_CLIENTS, cmd.ctx.account_id, date_from, date_to, cmd.top)

        date_from, date_to = calendar.stats_range(cmd)
        periods, top = await self.uow.read(work)
        return Stats(
            period=cmd.period, date_from=date_from, date_to=date_to,
            periods=[PeriodStats(**dict(row)) for row in periods],
            top_clients=[TopClient(**dict(row)) for row in top],
        )

    @answers(subjects.USAGE_GET)
    async def usage(self, cmd: GetUsage) -> Usage:
        period_start, next_period, used = await self.uow.read(lambda conn: quota.this_month(conn, cmd.ctx.account_id))
        documents = DocumentAllotment.of(
            used, self.documents_quota, quota.resets_at(next_period), period_start=period_start,
            period_end=next_period - timedelta(days=1),
        )
        emails = await self._email_quota(cmd)
        return Usage(
            documents=documents,
            emails=EmailAllotment.of(emails.used, emails.limit, emails.resets_at, day=(emails.resets_at - timedelta(days=1)).date())
            if emails else None,
            month_start=period_start, documents_this_month=used, documents_quota=self.documents_quota or None,
            emails_today=emails.used if emails else None,
            emails_daily_limit=(emails.limit or None) if emails else None,
        )

    async def _email_quota(self, cmd: GetUsage) -> EmailQuota | None:
        if self.request is None:
            return None
        try:
            raw = await self.request(subjects.MAILER_QUOTA_GET, msgspec.json.encode(GetEmailQuota(ctx=cmd.ctx)))
        except BillwireError:
            return None  # the mailer is down: usage still answers, without the e-mail figures
        return msgspec.json.decode(raw, type=EmailQuota)

    @answers(subjects.EXPORT_PAGE)
    async def export_page(self, cmd: ExportPage) -> ExportRows:
        conditions, args = sql.document_filters(msgspec.structs.replace(cmd.filters, ctx=cmd.ctx))
        if cmd.after_created_at is not None and cmd.after_id is not None:
            args += [cmd.after_created_at, cmd.after_id]
            conditions.append(f"(created_at, id) > (${len(args) - 1}, ${len(args)})")
        rows = await self.uow.read(lambda conn: conn.fetch(
            f"SELECT data FROM documents WHERE {' AND '.join(conditions)} ORDER BY created_at, id LIMIT {int(cmd.limit)}",
            *args,
        ))
        items = [msgspec.convert(r["data"], Document, strict=False) for r in rows]
        return ExportRows(items=items, last=len(items) < cmd.limit)

    @answers(subjects.EXPORT_CSV)
    async def export_csv(self, cmd: ExportCsv) -> CsvRows:
        return await self.uow.read(lambda conn: csv_rows.page(conn, cmd))
