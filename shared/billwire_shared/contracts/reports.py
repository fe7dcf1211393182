"""Numbers people ask for: statistics, usage against quotas, and exports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import Command
from billwire_shared.contracts.documents import Document, ListDocuments

StatsPeriod = Literal["day", "week", "month", "quarter", "year"]


class GetStats(Command, kw_only=True):
    """A range (`date_from`/`date_to`), or one calendar unit of `period`: `year` with its
    `quarter`, `month` or ISO `week`, or a `day` (see the invoices service's documents/calendar.py)."""

    period: StatsPeriod = "month"
    date_from: date | None = None
    date_to: date | None = None
    top: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5
    year: Annotated[int, msgspec.Meta(ge=1, le=9999)] | None = None
    quarter: Annotated[int, msgspec.Meta(ge=1, le=4)] | None = None
    month: Annotated[int, msgspec.Meta(ge=1, le=12)] | None = None
    week: Annotated[int, msgspec.Meta(ge=1, le=53)] | None = None
    day: date | None = None


class PeriodStats(msgspec.Struct, kw_only=True):
    """One period's invoices and credit notes in one currency, by issue date. A cancelled invoice
    and the credit note that cancels it are both left out (together they are nothing); any other
    issued credit note is `credited` and netted: `revenue` is `invoiced` minus `credited`."""

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
    sent: Decimal  # invoices of the period sent to the client (by e-mail, or marked as sent)
    sent_count: int
    credited: Decimal  # credit notes of the period, as a positive amount
    credit_notes_count: int
    revenue: Decimal  # invoiced - credited


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


class Allotment(msgspec.Struct, kw_only=True):
    """One quota: `max` and `remaining` are null when it is `unlimited`."""

    max: int | None
    used: int
    remaining: int | None
    unlimited: bool
    resets_at: datetime  # when the period ends and `used` starts again from 0

    @classmethod
    def of(cls, used: int, limit: int, resets_at: datetime, **extra: object) -> Allotment:
        """From a used count and a limit where 0 means unlimited."""
        return cls(
            max=limit or None, used=used, remaining=max(0, limit - used) if limit else None, unlimited=not limit,
            resets_at=resets_at, **extra,
        )


class DocumentAllotment(Allotment, kw_only=True):
    """Documents created this billing period (the calendar month, UTC) against the monthly quota."""

    period_start: date
    period_end: date  # the period's last day


class EmailAllotment(Allotment, kw_only=True):
    """E-mails sent today (UTC) against the daily limit."""

    day: date


class Usage(msgspec.Struct, kw_only=True):
    documents: DocumentAllotment
    emails: EmailAllotment | None  # None when the mailer did not answer
    # The flat figures of the first version, kept for existing callers:
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


class ExportCsv(Command, kw_only=True):
    """One page of a CSV export's rows (one per document, or per line with `lines`), in (created_at, id)
    order after `after`: only the columns the CSV shows, read from the stored documents in SQL, so an
    export costs per row what writing its CSV line costs (ExportPage's whole documents cost ~10× more)."""

    filters: ListDocuments
    lines: bool = False
    after_created_at: datetime | None = None
    after_id: UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500  # documents per page (a page of lines may stop earlier)


class DocumentCsvRow(msgspec.Struct, array_like=True):
    """A document's row of the CSV export, in its columns' order (billwire_gateway.export.DOCUMENT_COLUMNS)."""

    id: UUID
    type: str
    number: str | None
    status: str
    issue_date: date | None
    due_date: date | None
    client_name: str | None
    client_number: str | None
    client_email: str | None
    currency: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    amount_paid: Decimal
    balance_due: Decimal | None
    sent_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None


class LineCsvRow(msgspec.Struct, array_like=True):
    """A line's row of the CSV export (billwire_gateway.export.LINE_COLUMNS)."""

    document_id: UUID
    number: str | None
    issue_date: date | None
    client_name: str | None
    currency: str
    position: int
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal
    tax_rate: Decimal
    discount_rate: Decimal | None
    net_amount: Decimal


RowT = TypeVar("RowT")


class CsvRows(msgspec.Struct, Generic[RowT], kw_only=True):
    """A page of export rows; the next page starts after (after_created_at, after_id), None after the last."""

    rows: list[RowT]  # the invoices service passes on the JSON Postgres made of them (a msgspec.Raw)
    after_created_at: datetime | None = None
    after_id: UUID | None = None
