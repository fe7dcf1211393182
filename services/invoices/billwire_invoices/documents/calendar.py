"""The dates a statistics request covers: a range (`from`/`to`), or one calendar unit named the
way people name it (`period=month&year=2025&month=1`, `period=week&year=2025&week=3` as an ISO
week, `period=quarter&year=2025&quarter=1`, `period=year&year=2025`, `period=day&date=...`).
Pure. A combination that names no single unit is refused with the parameter that is missing or
out of place, never guessed at."""

from __future__ import annotations

from datetime import date, timedelta

from billwire_shared.contracts.reports import GetStats
from billwire_shared.errors import FieldError, invalid

# The number each period needs besides `year` (`date` for a day), by its API name.
_UNIT = {"day": "date", "week": "week", "month": "month", "quarter": "quarter", "year": None}
_CALENDAR = ("year", "quarter", "month", "week", "date")


def _given(cmd: GetStats) -> dict[str, object]:
    values = {"year": cmd.year, "quarter": cmd.quarter, "month": cmd.month, "week": cmd.week, "date": cmd.day}
    return {name: value for name, value in values.items() if value is not None}


def stats_range(cmd: GetStats) -> tuple[date | None, date | None]:
    """The first and last day the request covers (None: open-ended)."""
    given = _given(cmd)
    if not given:
        if cmd.date_from and cmd.date_to and cmd.date_from > cmd.date_to:
            raise invalid([FieldError(field="to", message="must not be before `from`")])
        return cmd.date_from, cmd.date_to
    problems: list[FieldError] = []
    for name, value in (("from", cmd.date_from), ("to", cmd.date_to)):
        if value is not None:
            problems.append(FieldError(field=name, message="a range and a calendar selection exclude each other: give one"))
    unit = _UNIT[cmd.period]
    needed = ["date"] if cmd.period == "day" else ["year"] + ([unit] if unit else [])
    for name in needed:
        if name not in given:
            problems.append(FieldError(field=name, message=f"`period={cmd.period}` selects by {' and '.join(needed)}"))
    for name in _CALENDAR:
        if name in given and name not in needed:
            problems.append(FieldError(field=name, message=f"does not go with `period={cmd.period}` (it takes {' and '.join(needed)})"))
    if problems:
        raise invalid(problems, "The statistics selection is incomplete or mixed.")
    return _unit_range(cmd)


def _unit_range(cmd: GetStats) -> tuple[date, date]:
    if cmd.period == "day":
        assert cmd.day is not None
        return cmd.day, cmd.day
    year = cmd.year
    assert year is not None
    if cmd.period == "week":
        assert cmd.week is not None
        try:
            monday = date.fromisocalendar(year, cmd.week, 1)
        except ValueError:
            raise invalid([FieldError(field="week", message=f"{year} has no ISO week {cmd.week}")]) from None
        return monday, monday + timedelta(days=6)
    if cmd.period == "month":
        assert cmd.month is not None
        first = date(year, cmd.month, 1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if cmd.period == "quarter":
        assert cmd.quarter is not None
        first = date(year, 3 * cmd.quarter - 2, 1)
        return first, (first + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    return date(year, 1, 1), date(year, 12, 31)
