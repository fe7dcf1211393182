"""Pure rules of recurring invoices: when each period starts and ends, which periods are due
at a given moment, what the placeholders of a period expand to, and what is wrong with a
template. No I/O, no clock: callers pass `today`.

A schedule is a sequence of run days counted from 0. Run day i is the first day of period i;
the period ends the day before run day i + 1. Month-based run days are computed from the
anchor each time (never from the previous run), so a schedule on the 31st falls on 28/29
February and is back on the 31st in March.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents.einvoice.checks import export_type_for
from billwire_shared import validation
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.clients import Client, Product
from billwire_shared.contracts.common import Period
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.previews import Problem
from billwire_shared.contracts.recurring import AutoSendInput, RecurringInvoice, Schedule, ScheduleInput
from billwire_shared.errors import ErrorCode, FieldError

MONTHS_PER_STEP = {"monthly": 1, "quarterly": 3, "yearly": 12}
# The largest interval per frequency: a year of weeks; twelve of the other units.
MAX_INTERVAL = {"weekly": 52, "monthly": 12, "quarterly": 12, "yearly": 12}
MAX_CATCH_UP = 1000  # periods looked at in one go; a longer outage is caught up over several ticks

MONTH_NAMES = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
}
WEEK_LABEL = {"en": "Week {week} {year}", "de": "KW {week}/{year}"}
PLACEHOLDER = re.compile(r"\{(period_start|period_end|period|month|year|quarter)\}")
PLACEHOLDERS = ("period", "month", "year", "quarter", "period_start", "period_end")


def schedule_of(given: ScheduleInput) -> Schedule:
    return Schedule(
        frequency=given.frequency, interval=given.interval, day_of_month=given.day_of_month, start=given.start,
        end_date=given.end_date, max_runs=given.max_runs,
    )


# -- run days and periods ------------------------------------------------------------------------


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months_after(year: int, month: int, months: int) -> tuple[int, int]:
    total = year * 12 + (month - 1) + months
    return total // 12, total % 12 + 1


def _first_month(schedule: Schedule) -> tuple[int, int, int]:
    """The year and month of run day 0 and the day of month every run aims for."""
    anchor = schedule.day_of_month or schedule.start.day
    year, month = schedule.start.year, schedule.start.month
    if _clamped(year, month, anchor) < schedule.start:
        year, month = _months_after(year, month, 1)
    return year, month, anchor


def run_day(schedule: Schedule, index: int) -> date:
    """Run day `index` of the schedule, ignoring its end."""
    if schedule.frequency == "weekly":
        return schedule.start + timedelta(weeks=schedule.interval * index)
    year, month, anchor = _first_month(schedule)
    year, month = _months_after(year, month, MONTHS_PER_STEP[schedule.frequency] * schedule.interval * index)
    return _clamped(year, month, anchor)


def in_schedule(schedule: Schedule, index: int) -> bool:
    """Whether period `index` exists: before the number of runs and on or before the end date."""
    if schedule.max_runs is not None and index >= schedule.max_runs:
        return False
    return schedule.end_date is None or run_day(schedule, index) <= schedule.end_date


def period_of(schedule: Schedule, index: int) -> Period:
    """The service period of run `index`: from its run day to the day before the next one."""
    return Period(start=run_day(schedule, index), end=run_day(schedule, index + 1) - timedelta(days=1))


def next_run_on(schedule: Schedule, index: int) -> date | None:
    """The run day of period `index`, or None when the schedule has ended before it."""
    return run_day(schedule, index) if in_schedule(schedule, index) else None


def upcoming(schedule: Schedule, index: int, count: int) -> Iterator[int]:
    """Up to `count` period indexes from `index` on, while the schedule lasts."""
    for offset in range(count):
        if not in_schedule(schedule, index + offset):
            return
        yield index + offset


def due(schedule: Schedule, next_index: int, today: date, catch_up: str) -> list[int]:
    """The periods to generate now, oldest first: every period from `next_index` whose run day
    has come (`all`), or only the latest of them (`latest`; the ones before are passed over)."""
    found: list[int] = []
    index = next_index
    while len(found) < MAX_CATCH_UP and in_schedule(schedule, index) and run_day(schedule, index) <= today:
        found.append(index)
        index += 1
    return found[-1:] if catch_up == "latest" else found


def index_after(schedule: Schedule, last_run_on: date | None) -> int:
    """Where an edited schedule resumes: the first period whose run day is after the last
    document generated, so no period is billed twice."""
    if last_run_on is None:
        return 0
    index = 0
    while run_day(schedule, index) <= last_run_on and index < 1_000_000:
        index += 1
    return index


# -- placeholders ---------------------------------------------------------------------------------


def format_day(day: date, language: str) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()


def period_label(schedule: Schedule, period: Period, language: str) -> str:
    """How `{period}` reads: "März 2026", "Q1 2026", "2026", "KW 12/2026", else the date range."""
    start = period.start
    if schedule.interval == 1 and schedule.frequency == "weekly":
        week_year, week, _ = start.isocalendar()
        return WEEK_LABEL[language].format(week=week, year=week_year)
    if schedule.interval == 1 and start.day == 1:
        if schedule.frequency == "monthly":
            return f"{MONTH_NAMES[language][start.month - 1]} {start.year}"
        if schedule.frequency == "quarterly" and start.month % 3 == 1:
            return f"Q{(start.month - 1) // 3 + 1} {start.year}"
        if schedule.frequency == "yearly" and start.month == 1:
            return str(start.year)
    return f"{format_day(period.start, language)} – {format_day(period.end, language)}"


def period_values(schedule: Schedule, period: Period, language: str) -> dict[str, str]:
    language = language if language in MONTH_NAMES else "en"
    start = period.start
    return {
        "period": period_label(schedule, period, language),
        "month": MONTH_NAMES[language][start.month - 1],
        "year": str(start.year),
        "quarter": f"Q{(start.month - 1) // 3 + 1}",
        "period_start": format_day(period.start, language),
        "period_end": format_day(period.end, language),
    }


def expand(text: str | None, values: Mapping[str, str]) -> str | None:
    """The text with the period placeholders filled in; any other braces stay as written."""
    if text is None:
        return None
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


# -- the document of a period -----------------------------------------------------------------


def language_of(template: RecurringInvoice, client: Client, profile: Profile) -> str:
    return template.language or client.language or profile.language


def draft_for(
    template: RecurringInvoice, index: int, client: Client, profile: Profile, products: dict[Any, Product],
    doc_id: UUID, issue_date: date, now: datetime,
) -> Document:
    """Period `index`'s invoice as a draft: the template's content as it is now (products at
    their current price), placeholders expanded in the document's language, the period as its
    service period. Raises the field errors of lines that no longer resolve (a deleted product)."""
    period = period_of(template.schedule, index)
    language = language_of(template, client, profile)
    values = period_values(template.schedule, period, language)
    lines = [msgspec.structs.replace(line, description=expand(line.description, values)) for line in template.lines]
    currency = template.currency or client.currency or profile.default_currency
    due_days = template.due_days if template.due_days is not None else profile.default_payment_terms_days
    draft = Document(
        id=doc_id, type="invoice", status="draft", number=None, client_id=client.id, client=document_rules.snapshot_of(client),
        currency=currency, issue_date=issue_date, service_date=None, service_period=period, due_date=None, due_days=due_days,
        introduction=expand(template.introduction, values), notes=expand(template.notes, values),
        discount_rate=template.discount_rate, vat_regulation=template.vat_regulation or client.vat_regulation or "standard",
        language=language, lines=document_rules.build_lines(lines, products, profile.default_tax_rate, currency),
        totals=document_rules.compute_totals([], currency, None, "standard"), version=1, created_at=now, updated_at=now,
        tax_exemption_reason=template.tax_exemption_reason,
        export_type=export_type_for("invoice", template.export_type, client.export_type, profile.default_export_type),
        recurring_id=template.id, period=period,
    )
    return document_rules.refresh(draft)


# -- validation -----------------------------------------------------------------------------------


def schedule_problems(schedule: ScheduleInput | Schedule, field: str = "schedule") -> list[FieldError]:
    problems: list[FieldError] = []
    limit = MAX_INTERVAL[schedule.frequency]
    if not 1 <= schedule.interval <= limit:
        problems.append(FieldError(field=f"{field}.interval", message=f"must be from 1 to {limit} for a {schedule.frequency} schedule"))
    if schedule.day_of_month is not None:
        if schedule.frequency == "weekly":
            problems.append(FieldError(field=f"{field}.day_of_month", message="a weekly schedule falls on the start's weekday; leave day_of_month out"))
        elif not 1 <= schedule.day_of_month <= 31:
            problems.append(FieldError(field=f"{field}.day_of_month", message="must be from 1 to 31 (days past a month's end fall on its last day)"))
    if schedule.end_date is not None and schedule.end_date < schedule.start:
        problems.append(FieldError(field=f"{field}.end_date", message="must not be before start"))
    if schedule.max_runs is not None:
        if schedule.end_date is not None:
            problems.append(FieldError(field=f"{field}.max_runs", message="give end_date or max_runs, not both"))
        elif not 1 <= schedule.max_runs <= 10_000:
            problems.append(FieldError(field=f"{field}.max_runs", message="must be from 1 to 10000"))
    if schedule.start.year > 9000:
        problems.append(FieldError(field=f"{field}.start", message="must be before the year 9000"))
    return problems


def auto_send_problems(auto_send: AutoSendInput | None, client_email: str | None) -> list[FieldError]:
    """An automatic send needs someone to send to: its own recipient or the client's address."""
    if auto_send is None:
        return []
    problems: list[FieldError] = []
    if auto_send.recipient is None and not client_email:
        problems.append(FieldError(field="auto_send.recipient", message="the client has no e-mail address; give a recipient"))
    addresses = [("auto_send.recipient", auto_send.recipient)] + [(f"auto_send.cc[{i}]", cc) for i, cc in enumerate(auto_send.cc)]
    for field, address in addresses:
        if address is None:
            continue
        if validation.header_break(address):
            problems.append(FieldError(field=field, message="must not contain line breaks"))
        elif problem := validation.email_problem(address):
            problems.append(FieldError(field=field, message=problem))
    if auto_send.subject is not None and (validation.header_break(auto_send.subject) or not auto_send.subject.strip()):
        problems.append(FieldError(field="auto_send.subject", message="must be one non-empty line; leave it out for the template's subject"))
    return problems


def currency_problems(currency: str | None) -> list[FieldError]:
    problem = validation.currency_problem(currency) if currency is not None else None
    return [FieldError(field="currency", message=problem)] if problem else []


def run_problems(template: RecurringInvoice, draft: Document, profile: Profile, client: Client) -> list[Problem]:
    """Why a run of `template` would fail as it stands: what issuing needs (auto_finalize or
    auto_send), and someone to e-mail (auto_send), by the rules the run itself applies."""
    if not (template.auto_finalize or template.auto_send is not None):
        return []
    problems = [Problem(code=ErrorCode.DOCUMENT_INCOMPLETE, message=p.message, field=p.field)
                for p in document_rules.finalize_problems(draft, profile)]
    problems += [Problem(code=ErrorCode.VALIDATION_ERROR, message=p.message, field=p.field)
                 for p in auto_send_problems(template.auto_send, client.email)]
    return problems
