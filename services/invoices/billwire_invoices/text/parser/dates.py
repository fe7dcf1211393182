"""Dates, payment terms and service periods, in English and German."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from billwire_invoices.text.parser.lexicon import MONTH, NUM, NUMWORD, month_names
from billwire_invoices.text.parser.numbers import parse_number
from billwire_invoices.text.parser.scan import Reading

I = re.IGNORECASE

# One date, in the ways people write it. Every alternative names its own groups.
DATE = (
    r"(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<dd>\d{1,2})\.\s?(?P<dm>\d{1,2})\.(?:\s?(?P<dy>\d{4}|\d{2})(?!\d))?"
    r"|(?P<s1>\d{1,2})/(?P<s2>\d{1,2})/(?P<sy>\d{4}|\d{2})(?!\d)"
    rf"|(?P<wd>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?(?P<wm>{MONTH})(?:,?\s+(?P<wy>\d{{4}}))?"
    rf"|(?P<vm>{MONTH})\s+(?P<vd>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<vy>\d{{4}}))?)"
)


def _named(pattern: str, prefix: str) -> str:
    """The pattern with its group names prefixed, so it can appear twice in one regex."""
    return re.sub(r"\(\?P<(\w+)>", rf"(?P<{prefix}\1>", pattern)


class DateProblem(ValueError):
    pass


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    year = int(raw)
    return year + 2000 if year < 100 else year


def read_date(m: re.Match[str], prefix: str = "") -> tuple[int | None, int, int]:
    """(year or None, month, day) of a DATE match; DateProblem when it is ambiguous or impossible."""
    def g(name: str) -> str | None:
        return m.group(prefix + name)

    if g("iy"):
        return int(g("iy")), int(g("im")), int(g("id"))
    if g("dd"):
        return _year(g("dy")), int(g("dm")), int(g("dd"))
    if g("s1"):
        first, second = int(g("s1")), int(g("s2"))
        if first > 12 >= second:
            return _year(g("sy")), second, first
        if second > 12 >= first:
            return _year(g("sy")), first, second
        if first != second:
            raise DateProblem("day and month could be either way round; write 15.03.2027 or 2027-03-15")
        return _year(g("sy")), first, first
    if g("wd"):
        return _year(g("wy")), month_names()[g("wm").rstrip(".").lower()], int(g("wd"))
    return _year(g("vy")), month_names()[g("vm").rstrip(".").lower()], int(g("vd"))


def make_date(year: int | None, month: int, day: int, reading: Reading, *, after: date | None = None) -> date:
    """A calendar date; without a year, the next one on or after `after` (default today), noted."""
    try:
        if year is not None:
            return date(year, month, day)
        start = after or reading.today
        found = date(start.year, month, day)
        if found < start:
            found = date(start.year + 1, month, day)
    except ValueError as exc:
        raise DateProblem("no such date") from exc
    reading.note(f"year {found.year} assumed for {found:%d.%m.}")
    return found


# -- payment terms --------------------------------------------------------------------------

_LEAD = r"(?:due|payable|to\s+be\s+paid|pay(?:ment)?(?:\s+due)?|payment\s+terms?:?|terms:?|zahlbar|fällig|zu\s+zahlen|zahlungsziel:?|zahlung)"
_SPAN = r"(?:days?|tage?n?|weeks?|wochen?|months?|monate?n?|business\s+days?|working\s+days?|werktage?n?|bankarbeitstage?n?)"
DUE_DATE = re.compile(
    rf"\b{_LEAD}\s+(?:(?:on|by|until|before|no\s+later\s+than|am|bis(?:\s+zum|\s+spätestens|\s+am)?|zum|spätestens(?:\s+am|\s+bis(?:\s+zum)?)?)\s+)?(?:the\s+)?"
    + DATE,
    I,
)
DUE_BY_DATE = re.compile(
    r"\b(?:bis(?:\s+zum|\s+spätestens)?|spätestens\s+am)\s+" + DATE
    + r"\s+(?:zu\s+zahlen|zahlbar|fällig|(?:zu\s+)?(?:überweisen|bezahlen|begleichen|zahlen))"
    + r"|\b(?:pay|überweisen|bezahlen|begleichen)\s+(?:by|before|until|no\s+later\s+than|bis(?:\s+zum)?)\s+(?:the\s+)?" + _named(DATE, "p_"),
    I,
)
DUE_SPAN = re.compile(
    rf"\b{_LEAD}\s+(?:(?:in|within|innerhalb(?:\s+von)?|binnen|after|nach|of|von)\s+)?(?P<n>{NUM}|{NUMWORD})\s*(?P<unit>{_SPAN})(?:\s+(?:net|netto|of\s+the\s+invoice\s+date|nach\s+rechnungs(?:datum|erhalt|eingang)|after\s+(?:the\s+)?invoice(?:\s+date)?|from\s+(?:the\s+)?invoice(?:\s+date)?))?",
    I,
)
NET = re.compile(rf"\b(?:net|netto)[\s-]*(?P<n>\d{{1,3}})(?:\s*(?P<unit>{_SPAN}))?\b|\b(?P<n2>\d{{1,3}})\s*(?P<unit2>days?|tage?n?)\s+(?:net|netto)\b", I)
WITHIN = re.compile(rf"\b(?:within|innerhalb(?:\s+von)?|binnen)\s+(?P<n>{NUM}|{NUMWORD})\s*(?P<unit>{_SPAN})", I)
IMMEDIATE = re.compile(
    r"\b(?:due|payable)\s+(?:up)?on\s+receipt\b|\b(?:due|payable)\s+immediately\b|\bsofort\s+(?:fällig|zahlbar)\b"
    r"|\b(?:zahlbar|fällig)\s+(?:sofort|umgehend|ohne\s+abzug)(?:\s+(?:ohne\s+abzug|sofort))?\b",
    I,
)


def _days(reading: Reading, m: re.Match[str], n: str, unit: str | None) -> int | None:
    value, note = parse_number(n, reading.language)
    unit = (unit or "days").lower()
    if "business" in unit or "working" in unit or "werk" in unit or "bankarbeit" in unit:
        reading.reject(m.start(), m.end(), "business days depend on the calendar; give calendar days or a date")
        return None
    if value != value.to_integral():
        reading.reject(m.start(), m.end(), "payment terms need a whole number of days")
        return None
    days = int(value)
    if unit.startswith(("week", "woche")):
        days *= 7
    elif unit.startswith(("month", "monat")):
        reading.note(f"{int(value)} month(s) of payment terms taken as {days * 30} days")
        days *= 30
    if note:
        reading.note(note)
    return days


def _set_due(reading: Reading, m: re.Match[str], days: int | None = None, on: date | None = None) -> None:
    if days is None and on is None:
        return
    if (reading.due_days is not None or reading.due_date is not None) and (reading.due_days, reading.due_date) != (days, on):
        reading.reject(m.start(), m.end(), "a second, different payment term")
        return
    if days is not None and days > 365:
        reading.reject(m.start(), m.end(), "payment terms over 365 days")
        return
    reading.due_days, reading.due_date = days, on
    reading.scan.take(m.start(), m.end())


def read_due(reading: Reading) -> None:
    scan = reading.scan
    for pattern in (DUE_DATE, DUE_BY_DATE):
        for m in scan.matches(pattern):
            try:
                prefix = "p_" if any(v for k, v in m.groupdict().items() if k.startswith("p_")) else ""
                year, month, day = read_date(m, prefix)
                _set_due(reading, m, on=make_date(year, month, day, reading))
            except DateProblem as exc:
                reading.reject(m.start(), m.end(), f"due date: {exc}")
    for m in scan.matches(IMMEDIATE):
        _set_due(reading, m, days=0)
    for pattern in (DUE_SPAN, NET, WITHIN):
        for m in scan.matches(pattern):
            n = m.group("n") or m.groupdict().get("n2")
            unit = m.group("unit") or m.groupdict().get("unit2")
            _set_due(reading, m, days=_days(reading, m, n, unit))


# -- service periods --------------------------------------------------------------------------

_TO = r"\s*(?:to|until|till|through|thru|bis(?:\s+zum|\s+einschließlich)?|and|und|-|–|—)\s*"
_FROM = r"(?:(?:from|vom|von|between|zwischen|(?:in\s+the\s+|for\s+the\s+|im\s+)?(?:period|zeitraum):?|service\s+period:?|leistungszeitraum:?)\s+(?:the\s+)?)?"
RANGE = re.compile(_FROM + _named(DATE, "a_") + _TO + r"(?:the\s+)?" + _named(DATE, "b_"), I)
DAY_RANGE = re.compile(
    rf"{_FROM}(?P<d1>\d{{1,2}})\.?\s*(?:[-–]|bis(?:\s+zum)?|to|until|till|through|thru)\s*(?P<d2>\d{{1,2}})\.?\s+(?P<m>{MONTH})(?:,?\s+(?P<y>\d{{4}}))?"
    rf"|{_FROM}(?P<n1>\d{{1,2}})\.?\s*(?:[-–]|bis(?:\s+zum)?)\s*(?P<n2>\d{{1,2}})\.\s?(?P<nm>\d{{1,2}})\.(?:\s?(?P<ny>\d{{4}}))?"
    rf"|{_FROM}(?P<m2>{MONTH})\s+(?P<e1>\d{{1,2}})\s*[-–]\s*(?P<e2>\d{{1,2}})(?:,?\s+(?P<y2>\d{{4}}))?",
    I,
)
WEEK_OF = re.compile(r"(?:(?:for|in|during|für|in)\s+)?(?:the\s+|die\s+)?(?:week\s+of|woche\s+vom|woche\s+ab|woche\s+ab\s+dem)\s+(?:the\s+)?" + DATE, I)
CALENDAR_WEEK = re.compile(r"(?:(?:for|in|für|in\s+der)\s+)?(?:calendar\s+week|kw|kalenderwoche|cw)\s*(?P<w>\d{1,2})(?:\s*[/,]?\s*(?P<y>\d{4}))?", I)
QUARTER = re.compile(
    r"(?:(?:for|in|during|für|im)\s+(?:the\s+)?)?(?:q(?P<q>[1-4])|(?P<q2>[1-4])\.\s*quartal|(?P<q3>first|second|third|fourth)\s+quarter(?:\s+of)?)\s*[/ ]?\s*(?P<y>\d{4})?",
    I,
)
MONTH_RANGE = re.compile(
    rf"(?:(?:for|in|during|from|für|im|von)\s+)?(?P<m1>{MONTH})(?:\s+(?P<y1>\d{{4}}))?{_TO}(?P<m2>{MONTH})(?:\s+(?P<y2>\d{{4}}))?",
    I,
)
_MONTH_LEAD = r"(?:for|in|during|over|throughout|für|im|in|über|den|monat|the\s+month\s+of|leistungszeitraum:?|period:?|service\s+period:?|zeitraum:?)"
MONTH_WITH_YEAR = re.compile(rf"(?:{_MONTH_LEAD}\s+)?(?:(?:the\s+)?month\s+of\s+|monat\s+)?(?P<m>{MONTH})\s*(?:'|/)?\s*(?P<y>\d{{4}})(?!\d)", I)
MONTH_ALONE = re.compile(rf"{_MONTH_LEAD}\s+(?:the\s+month\s+of\s+)?(?P<m>{MONTH})(?!\s*\d)", I)
RELATIVE_MONTH = re.compile(
    r"(?:(?:for|in|für|im)\s+)?(?P<which>last\s+month|previous\s+month|this\s+month|current\s+month|letzten\s+monat|vormonat"
    r"|diesen\s+monat|laufenden\s+monat|aktuellen\s+monat|den\s+letzten\s+monat|den\s+vormonat)\b",
    I,
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _month_period(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def nearest_year(month: int, today: date, reading: Reading, written: str) -> int:
    """A month without a year: the occurrence nearest to today (a tie goes to the past), noted."""
    options = [(abs((y - today.year) * 12 + month - today.month), -y, y) for y in (today.year - 1, today.year, today.year + 1)]
    year = min(options)[2]
    reading.note(f"year {year} assumed for {written.strip()!r}")
    return year


def _set_period(reading: Reading, m: re.Match[str], start: date, end: date) -> None:
    if end < start:
        reading.reject(m.start(), m.end(), "the period ends before it starts")
    elif reading.period is not None and reading.period != (start, end):
        reading.reject(m.start(), m.end(), "a second, different service period")
    else:
        reading.period = (start, end)
        reading.scan.take(m.start(), m.end())


def read_period(reading: Reading) -> None:
    scan, today = reading.scan, reading.today
    for m in scan.matches(RANGE):
        try:
            y2, m2, d2 = read_date(m, "b_")
            y1, m1, d1 = read_date(m, "a_")
            end = make_date(y2, m2, d2, reading) if y2 is not None else None
            if end is None:
                start = date(nearest_year(m1, today, reading, m.group(0)), m1, d1)
                end = make_date(None, m2, d2, reading, after=start)
            else:
                start = date(y1 if y1 is not None else (end.year if (m1, d1) <= (m2, d2) else end.year - 1), m1, d1)
            _set_period(reading, m, start, end)
        except (DateProblem, ValueError) as exc:
            reading.reject(m.start(), m.end(), f"service period: {exc}")
    for m in scan.matches(DAY_RANGE):
        if m.group("nm"):
            month, (first, last), year_text = int(m.group("nm")), (m.group("n1"), m.group("n2")), m.group("ny")
            if not 1 <= month <= 12:
                reading.reject(m.start(), m.end(), "service period: no such month")
                continue
        else:
            month = month_names()[(m.group("m") or m.group("m2")).rstrip(".").lower()]
            first, last = (m.group("d1"), m.group("d2")) if m.group("d1") else (m.group("e1"), m.group("e2"))
            year_text = m.group("y") or m.group("y2")
        year = int(year_text) if year_text else nearest_year(month, today, reading, m.group(0))
        try:
            _set_period(reading, m, date(year, month, int(first)), date(year, month, int(last)))
        except ValueError:
            reading.reject(m.start(), m.end(), "service period: no such date")
    for m in scan.matches(WEEK_OF):
        try:
            year, month, day = read_date(m)
            start = date(year, month, day) if year else date(nearest_year(month, today, reading, m.group(0)), month, day)
            _set_period(reading, m, start, start + timedelta(days=6))
        except (DateProblem, ValueError) as exc:
            reading.reject(m.start(), m.end(), f"service period: {exc}")
    for m in scan.matches(CALENDAR_WEEK):
        year = int(m.group("y")) if m.group("y") else today.year
        try:
            start = date.fromisocalendar(year, int(m.group("w")), 1)
        except ValueError:
            reading.reject(m.start(), m.end(), "no such calendar week")
            continue
        if not m.group("y"):
            reading.note(f"year {year} assumed for {m.group(0).strip()!r}")
        _set_period(reading, m, start, start + timedelta(days=6))
    for m in scan.matches(QUARTER):
        q = int(m.group("q") or m.group("q2") or _ORDINALS[(m.group("q3") or "first").lower()])
        year = int(m.group("y")) if m.group("y") else today.year
        if not m.group("y"):
            reading.note(f"year {year} assumed for {m.group(0).strip()!r}")
        _set_period(reading, m, _month_period(year, 3 * q - 2)[0], _month_period(year, 3 * q)[1])
    for m in scan.matches(MONTH_RANGE):
        m1, m2 = (month_names()[m.group(k).rstrip(".").lower()] for k in ("m1", "m2"))
        y2 = int(m.group("y2")) if m.group("y2") else (int(m.group("y1")) if m.group("y1") else nearest_year(m2, today, reading, m.group(0)))
        y1 = int(m.group("y1")) if m.group("y1") else (y2 if m1 <= m2 else y2 - 1)
        _set_period(reading, m, _month_period(y1, m1)[0], _month_period(y2, m2)[1])
    for m in scan.matches(MONTH_WITH_YEAR):
        _set_period(reading, m, *_month_period(int(m.group("y")), month_names()[m.group("m").rstrip(".").lower()]))
    for m in scan.matches(RELATIVE_MONTH):
        which = m.group("which").lower()
        first = today.replace(day=1)
        if any(w in which for w in ("last", "previous", "letzten", "vormonat")):
            first = (first - timedelta(days=1)).replace(day=1)
        _set_period(reading, m, *_month_period(first.year, first.month))
    for m in scan.matches(MONTH_ALONE):
        month = month_names()[m.group("m").rstrip(".").lower()]
        _set_period(reading, m, *_month_period(nearest_year(month, today, reading, m.group("m")), month))


# Dates left after terms and periods: neither, so reported rather than read as amounts.
ANY_DATE = re.compile(r"(?<![\d.,/])" + DATE, I)


def reject_other_dates(reading: Reading) -> None:
    for m in reading.scan.matches(ANY_DATE):
        try:
            _, month, day = read_date(m)
        except DateProblem:
            month, day = 1, 1
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue  # "12.50." is an amount, not a date
        reading.reject(m.start(), m.end(), "a date that is neither a due date nor in a service period")
