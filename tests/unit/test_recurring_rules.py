"""Recurring invoices' pure rules: run days, periods, what is due, placeholders, validation."""

from __future__ import annotations

from datetime import date

import pytest

from billwire_invoices.recurring import rules
from billwire_shared.contracts.common import Period
from billwire_shared.contracts.recurring import AutoSendInput, Schedule, ScheduleInput

D = date


def schedule(frequency: str = "monthly", start: date = D(2026, 1, 1), **kw) -> Schedule:
    return rules.schedule_of(ScheduleInput(frequency=frequency, start=start, **kw))


def run_days(s: Schedule, count: int) -> list[date]:
    return [rules.run_day(s, i) for i in rules.upcoming(s, 0, count)]


def test_monthly_on_the_31st_falls_on_the_last_day_of_february_and_back_on_the_31st():
    s = schedule(start=D(2027, 12, 31), day_of_month=31)
    assert run_days(s, 5) == [D(2027, 12, 31), D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31), D(2028, 4, 30)]
    s = schedule(start=D(2026, 1, 31), day_of_month=31)
    assert run_days(s, 3) == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]
    assert rules.period_of(s, 1) == Period(start=D(2026, 2, 28), end=D(2026, 3, 30))


def test_a_day_of_month_before_the_start_begins_in_the_next_month():
    s = schedule(start=D(2026, 1, 15), day_of_month=1)
    assert run_days(s, 2) == [D(2026, 2, 1), D(2026, 3, 1)]
    assert rules.period_of(s, 0) == Period(start=D(2026, 2, 1), end=D(2026, 2, 28))


def test_quarterly_and_yearly():
    q = schedule("quarterly", D(2026, 1, 1))
    assert run_days(q, 5) == [D(2026, 1, 1), D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1), D(2027, 1, 1)]
    assert rules.period_of(q, 0) == Period(start=D(2026, 1, 1), end=D(2026, 3, 31))
    y = schedule("yearly", D(2024, 2, 29))
    assert run_days(y, 3) == [D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28)]
    assert run_days(y, 5)[4] == D(2028, 2, 29)


def test_every_two_weeks_and_every_two_months():
    w = schedule("weekly", D(2026, 3, 2), interval=2)
    assert run_days(w, 3) == [D(2026, 3, 2), D(2026, 3, 16), D(2026, 3, 30)]
    assert rules.period_of(w, 0) == Period(start=D(2026, 3, 2), end=D(2026, 3, 15))
    m = schedule(start=D(2026, 11, 30), interval=2)
    assert run_days(m, 3) == [D(2026, 11, 30), D(2027, 1, 30), D(2027, 3, 30)]


def test_an_end_after_three_runs_and_an_end_date():
    s = schedule(max_runs=3)
    assert run_days(s, 10) == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert rules.next_run_on(s, 3) is None
    assert rules.due(s, 0, D(2030, 1, 1), "all") == [0, 1, 2]
    until = schedule(end_date=D(2026, 3, 1))
    assert run_days(until, 10) == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]


def test_catch_up_after_three_missed_months_all_or_latest():
    s = schedule(start=D(2026, 1, 1))
    today = D(2026, 3, 15)
    assert rules.due(s, 0, today, "all") == [0, 1, 2]
    assert rules.due(s, 0, today, "latest") == [2]
    assert rules.due(s, 3, today, "all") == []
    assert rules.due(s, 0, D(2025, 12, 31), "all") == []
    assert rules.due(s, 0, D(2026, 1, 1), "all") == [0]  # due on its run day


def test_an_edited_schedule_resumes_after_the_last_run():
    s = schedule(start=D(2026, 1, 1))
    assert rules.index_after(s, None) == 0
    assert rules.index_after(s, D(2026, 3, 1)) == 3
    moved = schedule(start=D(2026, 1, 1), day_of_month=15)
    assert rules.run_day(moved, rules.index_after(moved, D(2026, 3, 1))) == D(2026, 3, 15)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("de", "Retainer {month} {year}", "Retainer März 2026"),
        ("en", "Retainer {month} {year}", "Retainer March 2026"),
        ("de", "Leistung {period} ({period_start} bis {period_end}), {quarter}", "Leistung März 2026 (01.03.2026 bis 31.03.2026), Q1"),
        ("en", "Service {period} ({period_start} to {period_end}), {quarter}", "Service March 2026 (2026-03-01 to 2026-03-31), Q1"),
        ("en", "Invoice {number} for {period}", "Invoice {number} for March 2026"),  # other braces stay
    ],
)
def test_placeholders_expand_in_the_documents_language(language, text, expected):
    s = schedule(start=D(2026, 1, 1))
    values = rules.period_values(s, rules.period_of(s, 2), language)
    assert rules.expand(text, values) == expected


def test_period_labels_per_frequency():
    def label(s: Schedule, index: int, language: str = "en") -> str:
        return rules.period_values(s, rules.period_of(s, index), language)["period"]

    assert label(schedule("quarterly"), 1) == "Q2 2026"
    assert label(schedule("yearly"), 0, "de") == "2026"
    assert label(schedule("weekly", D(2026, 3, 2)), 0, "de") == "KW 10/2026"
    assert label(schedule(start=D(2026, 1, 15)), 0, "de") == "15.01.2026 – 14.02.2026"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"interval": 0}, "schedule.interval"),
        ({"interval": 13}, "schedule.interval"),
        ({"frequency": "weekly", "interval": 53}, "schedule.interval"),
        ({"day_of_month": 0}, "schedule.day_of_month"),
        ({"day_of_month": 32}, "schedule.day_of_month"),
        ({"frequency": "weekly", "day_of_month": 3}, "schedule.day_of_month"),
        ({"end_date": D(2025, 12, 31)}, "schedule.end_date"),
        ({"max_runs": 0}, "schedule.max_runs"),
        ({"max_runs": 3, "end_date": D(2026, 6, 1)}, "schedule.max_runs"),
    ],
)
def test_schedule_problems_name_the_field(given, field):
    fields = [p.field for p in rules.schedule_problems(ScheduleInput(start=D(2026, 1, 1), **given))]
    assert fields == [field]


def test_a_good_schedule_has_no_problems():
    assert rules.schedule_problems(ScheduleInput(start=D(2026, 1, 1), day_of_month=31, interval=12, max_runs=5)) == []
    assert rules.schedule_problems(ScheduleInput(frequency="weekly", start=D(2026, 1, 1), interval=52)) == []


def test_auto_send_needs_a_recipient():
    assert [p.field for p in rules.auto_send_problems(AutoSendInput(), None)] == ["auto_send.recipient"]
    assert rules.auto_send_problems(AutoSendInput(), "jane@example.com") == []
    assert rules.auto_send_problems(AutoSendInput(recipient="jane@example.com"), None) == []
    assert [p.field for p in rules.auto_send_problems(AutoSendInput(recipient="nope"), None)] == ["auto_send.recipient"]
    assert [p.field for p in rules.auto_send_problems(AutoSendInput(cc=["x"]), "a@example.com")] == ["auto_send.cc[0]"]
    assert rules.auto_send_problems(None, None) == []
