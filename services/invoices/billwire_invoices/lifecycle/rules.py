"""After issue, pure: payments and balances, cancellation by credit note, copies, the e-mail
a send produces, and when an invoice is overdue. No I/O."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from billwire_invoices.documents import rules as document_rules
from billwire_invoices.email import templates as templating
from billwire_invoices.email.reminders import Reminder
from billwire_shared import validation
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.documents import Document, DocumentRef, Line
from billwire_shared.contracts.email_settings import EmailTemplates
from billwire_shared.contracts.lifecycle import Payment, SendInput
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, invalid
from billwire_shared.money import ZERO, round_money

PAYABLE_TYPES = frozenset({"invoice"})


def conflict(message: str) -> BillwireError:
    """The document's state does not allow this (draft, cancelled, paid...)."""
    return BillwireError(ErrorCode.INVALID_DOCUMENT_STATE, message)


def ensure_payable(doc: Document) -> None:
    if doc.type not in PAYABLE_TYPES:
        raise conflict(f"A {doc.type.replace('_', ' ')} takes no payments.")
    if doc.status == "draft":
        raise conflict("Finalize the invoice before recording payments.")
    if doc.status == "cancelled":
        raise conflict("The invoice is cancelled; it takes no payments.")


def with_payments(doc: Document, payments: list[Payment], now: datetime) -> Document:
    """The invoice after its payments: amount paid, balance, paid or open again."""
    paid = sum((p.amount for p in payments), ZERO)
    balance = doc.totals.gross - paid
    settled = balance <= 0
    return msgspec.structs.replace(
        doc,
        amount_paid=round_money(paid, doc.currency),
        balance_due=round_money(balance, doc.currency),
        status="paid" if settled else "open",
        paid_at=(doc.paid_at or now) if settled else None,
        updated_at=now,
    )


def check_payment(doc: Document, amount: Decimal) -> list[FieldError]:
    problems = []
    problem = document_rules.money_problem(amount)
    if problem or amount <= 0:
        problems.append(FieldError(field="amount", message=problem or "must be greater than 0"))
    elif round_money(amount, doc.currency) != amount:
        problems.append(FieldError(field="amount", message=f"has more decimals than {doc.currency} allows"))
    elif doc.balance_due is not None and amount > doc.balance_due:
        problems.append(FieldError(field="amount", message=f"overpays the invoice: {doc.balance_due} is due"))
    return problems


def cancel(doc: Document, reason: str, now: datetime) -> Document:
    if doc.type != "invoice" or doc.status not in ("open",):
        if doc.status == "draft":
            raise conflict("A draft is not cancelled; delete it instead.")
        raise conflict(f"Only open invoices can be cancelled (this one is {doc.status}).")
    if doc.amount_paid > 0:
        raise conflict("The invoice has payments; delete them (or refund) before cancelling.")
    return msgspec.structs.replace(
        doc, status="cancelled", cancelled_at=now, cancellation_reason=reason, balance_due=ZERO, updated_at=now
    )


def credit_note_for(invoice: Document, new_id: UUID, now: datetime) -> Document:
    """A draft credit note that reverses every line of `invoice` and refers to it."""
    lines = [msgspec.structs.replace(line, quantity=-line.quantity) for line in invoice.lines]
    note = msgspec.structs.replace(
        invoice, id=new_id, type="credit_note", status="draft", number=None, lines=lines,
        issue_date=None, due_date=None, due_days=None, seller=None, version=1, created_at=now, updated_at=now,
        finalized_at=None, sent_at=None, paid_at=None, cancelled_at=None, overdue_at=None, reminder_level=0, last_reminder_at=None, amount_paid=ZERO,
        balance_due=None, cancellation_reason=None, recurring_id=None, period=None,
        preceding=DocumentRef(id=invoice.id, type=invoice.type, number=invoice.number, issue_date=invoice.issue_date),
        notes=f"Cancels {invoice.number}" + (f" dated {invoice.issue_date.isoformat()}" if invoice.issue_date else ""),
    )
    return document_rules.refresh(note)


def copy_of(doc: Document, new_id: UUID, doc_type: str, now: datetime, refer: bool = False) -> Document:
    """A new draft with the same buyer and lines (for corrections, or an estimate accepted)."""
    lines: list[Line] = [msgspec.structs.replace(line, quantity=abs(line.quantity)) for line in doc.lines]
    copy = msgspec.structs.replace(
        doc, id=new_id, type=doc_type, status="draft", number=None, lines=lines, issue_date=None,
        due_date=None if doc.due_days is not None else doc.due_date, seller=None, version=1,
        created_at=now, updated_at=now, finalized_at=None, sent_at=None, paid_at=None, cancelled_at=None,
        overdue_at=None, reminder_level=0, last_reminder_at=None, amount_paid=ZERO, balance_due=None, cancellation_reason=None,
        recurring_id=None, period=None,
        preceding=DocumentRef(id=doc.id, type=doc.type, number=doc.number, issue_date=doc.issue_date) if refer else None,
    )
    return document_rules.refresh(copy)


def header_safe(value: str, field: str) -> list[FieldError]:
    if what := validation.header_break(value):
        return [FieldError(field=field, message=f"must not contain line breaks or NUL characters (it has {what})")]
    return []


def send_request(
    doc: Document, body: SendInput, profile: Profile, account_id: UUID, send_id: UUID, now: datetime,
    templates: EmailTemplates | None = None, reminder: Reminder | None = None,
) -> SendRequest:
    """The e-mail a send produces: recipients checked; subject and body from the account's
    templates (or the built-in ones) in the document's language, unless the send gives its own."""
    problems: list[FieldError] = []
    to = doc.client.email if body.recipient is None else body.recipient
    if not to:
        problems.append(FieldError(field="recipient", message="the client has no e-mail address; give a recipient"))
    for field, address in [("recipient", to)] + [(f"cc[{i}]", a) for i, a in enumerate(body.cc)]:
        if address is not None and not address.strip():
            problems.append(FieldError(field=field, message="must not be empty; leave it out instead"))
        elif address:
            problems += header_safe(address, field) or (
                [FieldError(field=field, message=p)] if (p := validation.email_problem(address)) else []
            )
    if body.subject is not None:
        problems += header_safe(body.subject, "subject") or (
            [] if body.subject.strip() else [FieldError(field="subject", message="must not be empty; leave it out for the template's subject")]
        )
    if body.send_copy and not profile.email:
        problems.append(FieldError(field="send_copy", message="the account has no e-mail address to send the copy to; set one in the profile"))
    if body.message is not None and "\x00" in body.message:
        problems.append(FieldError(field="message", message="must not contain NUL characters"))
    if problems:
        raise invalid(problems)
    kind, extra = (doc.type, {}) if reminder is None else ("reminder", {"level": str(reminder.level), "days_overdue": str(reminder.days_overdue)})
    subject, text = templating.compose(doc, profile, templates or EmailTemplates(), kind, extra)
    return SendRequest(
        id=send_id, account_id=account_id, document_id=doc.id, document_number=doc.number, document_type=doc.type,
        version=doc.version, sender_name=profile.company_name, reply_to=profile.email, to=[to], cc=list(body.cc),
        bcc=[profile.email] if body.send_copy and profile.email else [], subject=body.subject or subject,
        body=body.message or text, language=doc.language if doc.language in templating.TITLES else "en", requested_at=now,
        export_type=doc.export_type if doc.type in ("invoice", "credit_note") else "pdf",
        reminder_level=reminder.level if reminder else None,
    )


def marked_overdue(doc: Document, now: datetime) -> Document:
    return msgspec.structs.replace(doc, overdue_at=now, updated_at=now)


def marked_sent(doc: Document, now: datetime) -> Document:
    return msgspec.structs.replace(doc, sent_at=doc.sent_at or now, updated_at=now)
