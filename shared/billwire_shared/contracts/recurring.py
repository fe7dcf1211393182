"""Recurring invoices: a template (buyer, lines, terms) plus a schedule, issued once per period.

Ranges that need the whole schedule to judge (interval, day of month, end before start, an
auto-send without a recipient) are checked by the invoices service's recurring rules and come
back as 422s naming the field, so plain ints here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import (
    ById,
    Command,
    ExportType,
    Input,
    Language,
    Paged,
    Period,
    Short,
    VatRegulation,
    patch_of,
)
from billwire_shared.contracts.documents import DocumentTerms, LineInput, Totals
from billwire_shared.contracts.lifecycle import EmailInput
from billwire_shared.contracts.previews import Problem

Frequency = Literal["weekly", "monthly", "quarterly", "yearly"]
CatchUp = Literal["all", "latest"]
RecurringStatus = Literal["active", "paused", "ended"]
# created: the draft exists; finalized/queued: issued (and its e-mail queued); failed: the
# draft exists but could not be finalized or sent, the next tick tries again; abandoned: its
# draft was deleted (or its invoice cancelled) by hand before it could be issued.
RunState = Literal["created", "finalized", "queued", "failed", "abandoned"]
Lines = Annotated[list[LineInput], msgspec.Meta(min_length=1, max_length=500)]


class ScheduleInput(Input, kw_only=True):
    frequency: Frequency = "monthly"
    interval: Annotated[int, msgspec.Meta(description="every n weeks, months, quarters or years; 1 or more")] = 1
    day_of_month: Annotated[int, msgspec.Meta(
        description="1..31, clamped to the month's last day (31 is 28/29 February); the start's day when left out; not for weekly",
    )] | None = None
    start: date
    end_date: date | None = None  # the last day a run may fall on
    max_runs: Annotated[int, msgspec.Meta(description="the schedule ends after this many periods")] | None = None


class Schedule(msgspec.Struct, kw_only=True):
    frequency: Frequency
    interval: int
    day_of_month: int | None
    start: date
    end_date: date | None = None
    max_runs: int | None = None


class AutoSendInput(EmailInput, kw_only=True):
    """E-mail each issued invoice; leave out subject and message for the account's e-mail template."""


class RecurringInput(DocumentTerms, kw_only=True):
    """A recurring invoice. Line descriptions, introduction, notes and e-mail text may use
    {period} {month} {year} {quarter} {period_start} {period_end}, expanded in the document's language."""

    name: Short | None = None
    client_id: UUID
    lines: Lines
    schedule: ScheduleInput
    auto_finalize: bool = False
    auto_send: AutoSendInput | None = None  # implies auto_finalize
    catch_up: CatchUp = "all"


RecurringPatch = patch_of(
    RecurringInput, "RecurringPatch", __name__, "Changes apply from the next run; documents already generated stay as they are.",
)


class RecurringRun(msgspec.Struct, kw_only=True):
    """One period's document: exactly one per (template, period)."""

    period: Period
    run_on: date  # the day the period's document is issued
    document_id: UUID
    number: str | None = None
    state: RunState
    failure: str | None = None  # why the last try to finalize or send failed
    attempts: int = 1
    created_at: datetime
    updated_at: datetime


class RecurringInvoice(msgspec.Struct, kw_only=True):
    id: UUID
    name: str | None
    status: RecurringStatus
    client_id: UUID
    lines: list[LineInput]
    currency: str | None
    discount_rate: Decimal | None
    introduction: str | None
    notes: str | None
    language: Language | None
    due_days: int | None
    export_type: ExportType | None
    vat_regulation: VatRegulation | None
    tax_exemption_reason: str | None
    schedule: Schedule
    auto_finalize: bool
    auto_send: AutoSendInput | None
    catch_up: CatchUp
    next_index: int = 0  # the schedule's next period, counted from 0
    next_run_on: date | None = None  # None once the schedule has ended
    last_run_on: date | None = None
    runs_count: int = 0
    last_failure: str | None = None  # why the last run could not even draft its document (e.g. a deleted product)
    version: int = 1
    created_at: datetime
    updated_at: datetime
    runs: list[RecurringRun] = []  # filled on get: every document it generated, newest first


class PreviewRun(msgspec.Struct, kw_only=True):
    run_on: date
    period: Period
    descriptions: list[str]  # the line descriptions as that period's document will show them
    currency: str
    totals: Totals


class RecurringPreview(msgspec.Struct, kw_only=True):
    id: UUID
    runs: list[PreviewRun]
    to: list[str] = []  # with auto_send: who each invoice is e-mailed to
    # Why the runs would fail to be issued or sent as the template stands (the buyer's address
    # missing, no e-mail address...): each run would end as `recurring_invoice.run_failed`.
    blocking_problems: list[Problem] = []


class RunFailed(msgspec.Struct, kw_only=True):
    """events.recurring_invoice.run_failed: a period's draft exists but could not be issued or sent;
    it is tried again on the next tick, without a second draft."""

    recurring_id: UUID
    document_id: UUID
    period: Period
    run_on: date
    reason: str
    attempts: int


class CreateRecurring(Command, kw_only=True):
    template: RecurringInput


class UpdateRecurring(ById, kw_only=True):
    patch: RecurringPatch


class ListRecurring(Paged, kw_only=True):
    status: RecurringStatus | None = None
    client_id: UUID | None = None


PreviewCount = Annotated[int, msgspec.Meta(ge=1, le=24)]


class PreviewRecurring(ById, kw_only=True):
    count: PreviewCount = 6


class PreviewRecurringInput(Command, kw_only=True):
    """The next runs of a template not stored yet (checked as a create would check it)."""

    template: RecurringInput
    count: PreviewCount = 6
