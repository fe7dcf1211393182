"""Numbers people ask for: statistics, usage against quotas, and exports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import Command
from billwire_shared.contracts.documents import Document, ListDocuments

StatsPeriod = Literal["day", "week", "month", "quarter", "year"]


class GetStats(Command, kw_only=True):
    period: StatsPeriod = "month"
    date_from: date | None = None
    date_to: date | None = None
    top: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5


class PeriodStats(msgspec.Struct, kw_only=True):
    """One period's invoices in one currency (cancelled invoices left out)."""

    period_start: date
    currency: str
    invoiced: Decimal
    invoiced_count: int
    paid: Decimal
    paid_count: int
    outstanding: Decimal
    outstanding_count: int
    overdue: Decimal
    overdue_count: int


class TopClient(msgspec.Struct, kw_only=True):
    client_id: UUID | None
    name: str
    currency: str
    revenue: Decimal
    invoices: int


class Stats(msgspec.Struct, kw_only=True):
    period: StatsPeriod
    date_from: date | None
    date_to: date | None
    periods: list[PeriodStats]
    top_clients: list[TopClient]


class GetUsage(Command, kw_only=True):
    pass


class Usage(msgspec.Struct, kw_only=True):
    month_start: date
    documents_this_month: int
    documents_quota: int | None  # None: unlimited
    emails_today: int | None  # None when the mailer did not answer
    emails_daily_limit: int | None  # None: unlimited (or unknown)


class ExportPage(Command, kw_only=True):
    """One page of documents for an export, in (created_at, id) order after `after`."""

    filters: ListDocuments
    after_created_at: datetime | None = None
    after_id: UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500


class ExportRows(msgspec.Struct, kw_only=True):
    items: list[Document]
    last: bool
