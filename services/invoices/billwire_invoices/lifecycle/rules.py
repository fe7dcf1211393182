"""After issue, pure: payments and balances, cancellation by credit note, copies, the e-mail
a send produces, and when an invoice is overdue. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import UUID

import msgspec

from billwire_invoices.documents import rules as document_rules
from billwire_invoices.email import templates as templating
from billwire_invoices.email.reminders import Reminder
from billwire_shared import validation
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.documents import (
    CANCELLED_PATCH_FIELDS,
    ISSUED_PATCH_FIELDS,
    Document,
    DocumentPatch,
    DocumentRef,
    Line,
)
from billwire_shared.contracts.email_settings import EmailTemplates
from billwire_shared.contracts.lifecycle import Payment, Refund, SendInput
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


def moment_of(day: date, now: datetime) -> datetime:
    """The moment a document shows for something that happened on `day`: now when that is today,
    else the start of that day (UTC), so its date is always `day`."""
    return now if day == now.date() else datetime.combine(day, time(), UTC)


def settling_date(doc: Document, payments: list[Payment]) -> date | None:
    """The date of the payment that brought the balance to zero (payments in date order)."""
    paid = ZERO
    for payment in payments:
        paid += payment.amount
        if paid >= doc.totals.gross:
            return payment.date
    return None


def with_payments(doc: Document, payments: list[Payment], now: datetime, settled_on: date | None = None) -> Document:
    """The invoice after its payments: amount paid, balance, paid or open again. A settled
    invoice shows as paid on the date of the payment that settled it (`settled_on` for one of
    nothing, settled without a payment), not when that payment was recorded."""
    paid = sum((p.amount for p in payments), ZERO)
    balance = doc.totals.gross - paid
    settled = balance <= 0
    paid_date = (settling_date(doc, payments) or settled_on or now.date()) if settled else None
    return msgspec.structs.replace(
        doc,
        amount_paid=round_money(paid, doc.currency),
        balance_due=round_money(balance, doc.currency),
        status="paid" if settled else "open",
        paid_date=paid_date,
        paid_at=moment_of(paid_date, now) if paid_date else None,
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


# -- status fields of issued documents ---------------------------------------------------------

SENT_DETAILS = ("sent_date", "sent_notes")


def issued_patch(doc: Document, patch: DocumentPatch, now: datetime) -> tuple[Document, str, str]:
    """A PATCH of an issued document: only its status fields change (marked sent by hand, with a
    date and notes; the account's custom status), a cancelled one only its custom status; any
    other field is a 409 naming it. Paid stays driven by payments. The document, the audit
    action and the event."""
    given = {name: getattr(patch, name) for name in patch.__struct_fields__ if getattr(patch, name) is not msgspec.UNSET}
    what = "cancelled" if doc.status == "cancelled" else "finalized"
    allowed = CANCELLED_PATCH_FIELDS if doc.status == "cancelled" else ISSUED_PATCH_FIELDS
    refused = [name for name in given if name not in allowed]
    if refused:
        raise BillwireError(
            ErrorCode.DOCUMENT_FINALIZED,
            f"{doc.type.replace('_', ' ')} {doc.number} is {what}: only {', '.join(allowed)} can change"
            f" (refused: {', '.join(refused)}). Corrections go through cancel and a credit note.",
            [FieldError(field=name, message=f"cannot change on a {what} document") for name in refused],
        )
    values: dict = {"updated_at": now}
    if "custom_status" in given:
        values["custom_status"] = given["custom_status"]
    sent = given.get("sent", True if any(name in given for name in SENT_DETAILS) else None)
    action, event = "custom-status", f"{doc.type}.updated"
    emailed = doc.sent_at is not None and doc.sent_via != "manual"
    if sent is False:
        document_rules.check([FieldError(field=name, message="give it only with sent: true") for name in SENT_DETAILS if name in given])
        if emailed:
            raise BillwireError(ErrorCode.INVALID_DOCUMENT_STATE, "It was delivered by e-mail; that stays on record.",
                                [FieldError(field="sent", message="delivered by e-mail; only a mark made by hand is taken back")])
        values.update(sent_at=None, sent_date=None, sent_notes=None, sent_via=None)
        action = "unmark-sent"
    elif sent:
        day = given.get("sent_date") or doc.sent_date or (doc.sent_at.date() if doc.sent_at else now.date())
        document_rules.check(sent_date_problems(doc, day, now, emailed))
        values.update(sent_date=day, sent_notes=given.get("sent_notes", doc.sent_notes))
        if doc.sent_at is None or doc.sent_via == "manual":
            values.update(sent_at=moment_of(day, now), sent_via="manual")
        action = "mark-sent"
        if doc.sent_at is None:
            event = f"{doc.type}.sent"
    return msgspec.structs.replace(doc, **values), action, event


def sent_date_problems(doc: Document, day: date, now: datetime, emailed: bool) -> list[FieldError]:
    if doc.issue_date is not None and day < doc.issue_date:
        return [FieldError(field="sent_date", message=f"must not be before the issue date {doc.issue_date.isoformat()}")]
    if day > now.date():
        return [FieldError(field="sent_date", message="must not be in the future")]
    if emailed and doc.sent_date is not None and day != doc.sent_date:
        return [FieldError(field="sent_date", message=f"it was delivered by e-mail on {doc.sent_date.isoformat()}")]
    return []


def ref_of(doc: Document) -> DocumentRef:
    return DocumentRef(id=doc.id, type=doc.type, number=doc.number, issue_date=doc.issue_date)


def cancel(doc: Document, reason: str | None, credit_note: Document, now: datetime) -> Document:
    """The invoice cancelled by `credit_note`. Its payments stay (financial records): what they
    paid is `refund_due` until refunds are recorded; nothing is left to pay."""
    if doc.type != "invoice" or doc.status not in ("open", "paid"):
        if doc.status == "draft":
            raise conflict("A draft is not cancelled; delete it instead.")
        raise conflict(f"Only issued invoices can be cancelled (this one is {doc.status}).")
    refund = round_money(doc.amount_paid - doc.amount_refunded, doc.currency) if doc.amount_paid > 0 else None
    return msgspec.structs.replace(
        doc, status="cancelled", cancelled_at=now, cancellation_reason=reason, balance_due=round_money(ZERO, doc.currency),
        refund_due=refund, cancelled_by=ref_of(credit_note), updated_at=now,
    )


def _fresh(new_id: UUID, doc_type: str, now: datetime) -> dict:
    """What a new draft made from another document does not inherit: its identity, number, dates and everything that happened to it."""
    return dict(
        id=new_id, type=doc_type, status="draft", number=None, issue_date=None, seller=None, version=1,
        created_at=now, updated_at=now, finalized_at=None, sent_at=None, paid_at=None, cancelled_at=None, overdue_at=None,
        reminder_level=0, last_reminder_at=None, amount_paid=ZERO, balance_due=None, cancellation_reason=None,
        recurring_id=None, period=None, sent_date=None, sent_notes=None, sent_via=None, paid_date=None, custom_status=None,
        imported=False, refund_due=None, refund_amount=None, amount_refunded=ZERO, cancelled_by=None, converted_to=None,
    )


def credit_note_for(invoice: Document, new_id: UUID, now: datetime) -> Document:
    """A draft credit note that reverses every line of `invoice` and refers to it; when the
    invoice had payments, `refund_amount` says (and its PDF prints) what is paid back."""
    lines = [msgspec.structs.replace(line, quantity=-line.quantity) for line in invoice.lines]
    paid = invoice.amount_paid - invoice.amount_refunded
    note = msgspec.structs.replace(
        invoice, **_fresh(new_id, "credit_note", now) | {"refund_amount": round_money(paid, invoice.currency) if paid > 0 else None},
        lines=lines, due_date=None, due_days=None, preceding=ref_of(invoice),
        notes=f"Cancels {invoice.number}" + (f" dated {invoice.issue_date.isoformat()}" if invoice.issue_date else ""),
    )
    return document_rules.refresh(note)


def copy_of(doc: Document, new_id: UUID, doc_type: str, now: datetime, refer: bool = False) -> Document:
    """A new draft with the same buyer and lines (for corrections, or an estimate accepted)."""
    lines: list[Line] = [msgspec.structs.replace(line, quantity=abs(line.quantity)) for line in doc.lines]
    copy = msgspec.structs.replace(
        doc, **_fresh(new_id, doc_type, now), lines=lines,
        due_date=None if doc.due_days is not None else doc.due_date, preceding=ref_of(doc) if refer else None,
    )
    return document_rules.refresh(copy)


def ensure_not_converted(estimate: Document, invoice: Document | None) -> None:
    """An estimate becomes one invoice: while the invoice it was converted into exists, a second
    convert is refused, naming it (a deleted draft frees the estimate again)."""
    if estimate.converted_to is None or invoice is None:
        return
    name = f"invoice {invoice.number} ({invoice.id})" if invoice.number else f"draft invoice {invoice.id}"
    raise BillwireError(
        ErrorCode.INVALID_DOCUMENT_STATE, f"This estimate was already converted into {name}.",
        [FieldError(field="converted_to", message=f"already converted into {name}")],
    )


# -- refunds ----------------------------------------------------------------------------------


def check_refund(doc: Document, amount: Decimal | None) -> tuple[Decimal, list[FieldError]]:
    """The amount to refund (the whole refund_due when None) and what is wrong with it."""
    if doc.status != "cancelled" or not doc.refund_due:
        raise conflict("Only a cancelled invoice with payments still to pay back takes refunds"
                       f" (this one is {doc.status}{', refund_due 0' if doc.status == 'cancelled' else ''}).")
    if amount is None:
        return doc.refund_due, []
    problem = document_rules.money_problem(amount)
    if problem or amount <= 0:
        return amount, [FieldError(field="amount", message=problem or "must be greater than 0")]
    if round_money(amount, doc.currency) != amount:
        return amount, [FieldError(field="amount", message=f"has more decimals than {doc.currency} allows")]
    if amount > doc.refund_due:
        return amount, [FieldError(field="amount", message=f"refunds more than was paid: {doc.refund_due} is due")]
    return amount, []


def with_refund(doc: Document, refund: Refund, now: datetime) -> Document:
    refunded = doc.amount_refunded + refund.amount
    return msgspec.structs.replace(
        doc, amount_refunded=round_money(refunded, doc.currency),
        refund_due=round_money(doc.refund_due - refund.amount, doc.currency), updated_at=now,
    )


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
    """Delivered by e-mail; a document sent before (by hand, or an earlier e-mail) keeps its first sending."""
    if doc.sent_at is not None:
        return msgspec.structs.replace(doc, updated_at=now)
    return msgspec.structs.replace(doc, sent_at=now, sent_date=now.date(), sent_via="email", updated_at=now)
