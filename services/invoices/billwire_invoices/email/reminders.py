"""Payment reminders, pure: settings checked when saved, and which level an invoice is due."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.email_settings import ReminderSettings
from billwire_shared.errors import FieldError


class Reminder(msgspec.Struct, kw_only=True, frozen=True):
    level: int  # 1-based, as people count reminders
    days_overdue: int


def settings_problems(settings: ReminderSettings) -> list[FieldError]:
    """Levels escalate: each comes strictly later after the due date than the one before."""
    problems = []
    for i in range(1, len(settings.levels)):
        before, days = settings.levels[i - 1].days_after_due, settings.levels[i].days_after_due
        if days <= before:
            problems.append(FieldError(
                field=f"levels[{i}].days_after_due", message=f"must be more than level {i}'s {before} days (strictly increasing)"
            ))
    return problems


def due_reminder(doc: Document, settings: ReminderSettings, today: date) -> Reminder | None:
    """The reminder an open, unpaid invoice is due today, if any: the highest level whose days
    have passed and that it has not reached yet. Levels already overtaken are not sent late
    (an invoice found 40 days past due gets the 30-day reminder, not the 7- and 14-day ones)."""
    if not settings.enabled or doc.type != "invoice" or doc.status != "open" or doc.due_date is None:
        return None
    if doc.balance_due is not None and doc.balance_due <= 0:
        return None
    days = (today - doc.due_date).days
    due = [n for n, level in enumerate(settings.levels, start=1) if level.days_after_due <= days and n > doc.reminder_level]
    return Reminder(level=max(due), days_overdue=days) if due else None


def reminded(doc: Document, level: int, now: datetime) -> Document:
    """The invoice once reminder `level` is queued: the level is reached, never lowered."""
    return msgspec.structs.replace(doc, reminder_level=max(doc.reminder_level, level), updated_at=now)


def reminder_delivered(doc: Document, now: datetime) -> Document:
    return msgspec.structs.replace(doc, last_reminder_at=now, updated_at=now)
