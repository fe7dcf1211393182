"""E-mail templates (checked when saved, filled in safely when sent) and which payment
reminder an invoice is due."""

from __future__ import annotations

import typing
from datetime import date
from decimal import Decimal as D
from uuid import uuid4

import msgspec
import pytest

from billwire_invoices.email import reminders
from billwire_invoices.email import templates as templating
from billwire_invoices.lifecycle import rules as lifecycle
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.common import Language
from billwire_shared.contracts.documents import DOCUMENT_TYPES, Document
from billwire_shared.contracts.email_settings import (
    EmailTemplate,
    EmailTemplates,
    KindTemplates,
    ReminderSettings,
)
from billwire_shared.contracts.lifecycle import SendInput
from billwire_shared.errors import BillwireError
from tests.unit.test_numbering_and_finalize import draft

PROFILE = Profile(company_name="Acme GmbH", email="billing@acme.example")


def issued(client: ClientSnapshot = ClientSnapshot(name="Globex", email="ap@globex.example")) -> Document:
    doc = draft(client, language="de")
    return msgspec.structs.replace(
        doc, status="open", number="INV-2026-0007", issue_date=date(2026, 1, 5), due_date=date(2026, 1, 19),
        totals=msgspec.structs.replace(doc.totals, gross=D("238.00")), balance_due=D("138.00"),
    )


def templates(language: str = "de", kind: str = "invoice", **fields) -> EmailTemplates:
    return msgspec.structs.replace(EmailTemplates(), **{language: KindTemplates(**{kind: EmailTemplate(**fields)})})


def test_every_language_and_document_type_has_templates_and_defaults() -> None:
    assert set(templating.LANGUAGES) == set(typing.get_args(Language))
    assert set(templating.KINDS) == {*DOCUMENT_TYPES, "reminder"}
    assert all(set(templating.TITLES[lang]) == set(DOCUMENT_TYPES) for lang in templating.LANGUAGES)


@pytest.mark.parametrize(("text", "reason"), [
    ("Rechnung {nummer}", "unknown placeholder {nummer}"),
    ("{number.__class__}", "unknown placeholder {number.__class__}"),
    ("{number[0]}", "unknown placeholder {number[0]}"),
    ("{}", "unknown placeholder {}"),
    ("{0}", "unknown placeholder {0}"),
    ("{total:.2f}", "takes no format"),
    ("{number!r}", "takes no format"),
    ("Rechnung {number", "unbalanced braces"),
    ("Rechnung number}", "unbalanced braces"),
    ("Stufe {level}", "unknown placeholder {level}"),
])
def test_bad_templates_are_refused_naming_the_field(text: str, reason: str) -> None:
    found = templating.problems(templates(body=text))
    assert [p.field for p in found] == ["templates.de.invoice.body"]
    assert reason in found[0].message


@pytest.mark.parametrize("subject", ["Rechnung\r\nBcc: evil@x.example", "a\nb", "a\x00b"])
def test_a_subject_is_one_line(subject: str) -> None:
    found = templating.problems(templates(subject=subject))
    assert found and found[0].field == "templates.de.invoice.subject"


def test_good_templates_pass_and_reminders_know_their_level() -> None:
    assert templating.problems(templates(subject="Rechnung {number} von {sender}", body="{{Hallo}} {client}: {total}")) == []
    assert templating.problems(templates(kind="reminder", subject="{level}. Mahnung {number}", body="{days_overdue} Tage")) == []


def test_render_fills_in_plain_names_only() -> None:
    values = {"number": "INV-1", "total": "10 EUR"}
    assert templating.render("{number} {{x}} {total}", values) == "INV-1 {x} 10 EUR"
    assert templating.render("{number.__class__} {number:>9} {nope}", values) == "{number.__class__} {number:>9} {nope}"
    assert templating.render("{broken", values) == "{broken"


def test_the_accounts_template_is_used_in_the_documents_language() -> None:
    doc = issued()
    own = templates(subject="Ihre Rechnung {number} über {total}", body="Hallo {client}, fällig am {due_date}. {sender}")
    request = lifecycle.send_request(doc, SendInput(), PROFILE, uuid4(), uuid4(), doc.updated_at, own)
    assert request.subject == "Ihre Rechnung INV-2026-0007 über 238.00 EUR"
    assert request.body == "Hallo Globex, fällig am 19.01.2026. Acme GmbH"
    english = msgspec.structs.replace(doc, language="en")
    default = lifecycle.send_request(english, SendInput(), PROFILE, uuid4(), uuid4(), doc.updated_at, own)
    assert default.subject == "Invoice INV-2026-0007 – Acme GmbH" and "over 238.00 EUR" in default.body


def test_the_send_still_overrides_and_values_stay_on_one_line_in_a_subject() -> None:
    doc = issued(client=ClientSnapshot(name="Evil\r\nBcc: x@y.example", email="ap@globex.example"))
    own = templates(subject="Rechnung für {client}")
    request = lifecycle.send_request(doc, SendInput(subject="Mein Betreff", message="Text"), PROFILE, uuid4(), uuid4(), doc.updated_at, own)
    assert (request.subject, request.body) == ("Mein Betreff", "Text")
    request = lifecycle.send_request(doc, SendInput(), PROFILE, uuid4(), uuid4(), doc.updated_at, own)
    assert request.subject == "Rechnung für Evil Bcc: x@y.example"


def test_a_reminder_uses_the_reminder_template_with_level_and_days() -> None:
    doc = issued()
    due = reminders.Reminder(level=2, days_overdue=16)
    request = lifecycle.send_request(doc, SendInput(), PROFILE, uuid4(), uuid4(), doc.updated_at, None, due)
    assert request.subject == "2. Zahlungserinnerung: Rechnung INV-2026-0007 – Acme GmbH" and request.reminder_level == 2
    assert "seit 16 Tagen" in request.body and "138.00 EUR" in request.body
    own = templates(kind="reminder", subject="Mahnung {level}: {number}", body="{days_overdue} Tage")
    request = lifecycle.send_request(doc, SendInput(), PROFILE, uuid4(), uuid4(), doc.updated_at, own, due)
    assert (request.subject, request.body) == ("Mahnung 2: INV-2026-0007", "16 Tage")


def settings(*days: int, enabled: bool = True) -> ReminderSettings:
    return msgspec.convert({"enabled": enabled, "levels": [{"days_after_due": d} for d in days]}, ReminderSettings)


def test_reminder_levels_must_escalate() -> None:
    assert reminders.settings_problems(settings(7, 14, 30)) == []
    found = reminders.settings_problems(settings(7, 7, 3))
    assert [p.field for p in found] == ["levels[1].days_after_due", "levels[2].days_after_due"]
    with pytest.raises(msgspec.ValidationError):
        settings(1, 2, 3, 4)
    with pytest.raises(msgspec.ValidationError):
        settings(0)


@pytest.mark.parametrize(("today", "reached", "expected"), [
    (date(2026, 1, 19), 0, None),  # the due date itself
    (date(2026, 1, 25), 0, None),  # 6 days
    (date(2026, 1, 26), 0, 1),  # 7 days
    (date(2026, 1, 26), 1, None),  # level 1 already sent
    (date(2026, 2, 2), 1, 2),  # 14 days
    (date(2026, 2, 2), 0, 2),  # overtaken levels are not sent late
    (date(2026, 3, 30), 3, None),  # every level sent
])
def test_which_reminder_is_due(today: date, reached: int, expected: int | None) -> None:
    doc = msgspec.structs.replace(issued(), reminder_level=reached)
    due = reminders.due_reminder(doc, settings(7, 14, 30), today)
    assert (due.level if due else None) == expected
    if due:
        assert due.days_overdue == (today - date(2026, 1, 19)).days


def test_no_reminder_when_disabled_paid_cancelled_or_not_an_invoice() -> None:
    late = date(2026, 3, 1)
    assert reminders.due_reminder(issued(), settings(7, enabled=False), late) is None
    for changes in ({"status": "paid"}, {"status": "cancelled"}, {"type": "estimate"}, {"balance_due": D("0")}, {"due_date": None}):
        assert reminders.due_reminder(msgspec.structs.replace(issued(), **changes), settings(7), late) is None


def test_a_missing_recipient_is_refused_not_guessed() -> None:
    doc = issued(client=ClientSnapshot(name="Nobody"))
    with pytest.raises(BillwireError):
        lifecycle.send_request(doc, SendInput(), PROFILE, uuid4(), uuid4(), doc.updated_at, None, reminders.Reminder(level=1, days_overdue=9))


def test_the_built_in_texts_are_valid_templates_for_every_language_and_kind() -> None:
    from billwire_invoices.email.templates import defaults, problems

    built_in = defaults()
    assert problems(built_in) == []
    assert built_in.de.invoice.body.startswith("Guten Tag") and "{days_overdue}" in built_in.en.reminder.body
