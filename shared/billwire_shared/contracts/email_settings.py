"""An account's e-mail settings: its own templates for the e-mails a send produces, and
payment reminders for invoices past due."""

from __future__ import annotations

from typing import Annotated

import msgspec

from billwire_shared.contracts.common import ById, Command, Input, input_body, line
from billwire_shared.contracts.documents import DOCUMENT_TYPES

TemplateSubject = line(300, 1)
TemplateBody = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]


class EmailTemplate(Input, kw_only=True):
    """Text with placeholders in braces: {number} {title} {total} {balance_due} {due_date}
    {issue_date} {client} {sender}; reminders also {level} {days_overdue}. `{{` and `}}` are
    literal braces. Left out (null): the built-in text."""

    subject: TemplateSubject | None = None
    body: TemplateBody | None = None


KindTemplates = input_body(
    "KindTemplates", [(kind, EmailTemplate | None, None) for kind in (*DOCUMENT_TYPES, "reminder")], __name__,
    "One template per document type, and `reminder` for payment reminders of invoices.",
)


class EmailTemplates(Input, kw_only=True):
    """One set per language (every `Language`); a document's language picks the set."""

    en: KindTemplates = msgspec.field(default_factory=KindTemplates)
    de: KindTemplates = msgspec.field(default_factory=KindTemplates)


class EmailTemplateSettings(Input, kw_only=True):
    templates: EmailTemplates = msgspec.field(default_factory=EmailTemplates)


class EmailTemplatesView(msgspec.Struct, kw_only=True):
    """The account's own templates, and beside them the built-in texts used wherever it has
    none (a starting point to edit; read-only)."""

    templates: EmailTemplates
    defaults: EmailTemplates


class GetEmailTemplates(Command, kw_only=True):
    pass


class UpdateEmailTemplates(Command, kw_only=True):
    settings: EmailTemplateSettings


MAX_REMINDER_LEVELS = 3


class ReminderLevel(Input, kw_only=True):
    days_after_due: Annotated[int, msgspec.Meta(ge=1, le=365, description="days past the due date")]


class ReminderSettings(Input, kw_only=True):
    """Payment reminders: level N is e-mailed once per invoice when it is `days_after_due` days
    past due and unpaid (days strictly increasing from level to level)."""

    enabled: bool = False
    levels: Annotated[list[ReminderLevel], msgspec.Meta(max_length=MAX_REMINDER_LEVELS)] = []


class GetReminderSettings(Command, kw_only=True):
    pass


class UpdateReminderSettings(Command, kw_only=True):
    settings: ReminderSettings


class PreviewSend(ById, kw_only=True):
    """The e-mail a send of this document would carry now, from the account's templates."""


class SendPreview(msgspec.Struct, kw_only=True):
    recipient: str | None
    subject: str
    message: str
